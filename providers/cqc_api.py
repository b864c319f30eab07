"""A small, polite client of CQC's public (syndication) API, https://api.service.cqc.org.uk/public/v1.

Two calls are used (issue 14 item 3):

- ``changed_locations(start, end)``: ``GET /changes/location?startTimestamp=&endTimestamp=
  &page=&perPage=``, one page after another (``totalPages``, ``nextPageUri``), yielding the
  location ids in ``changes``;
- ``location(location_id)``: ``GET /locations/{locationId}``, the location's detail
  (``registrationStatus``, ``deregistrationDate``, ``currentRatings``, ``relationships``, ...).

Every request carries the subscription key (``Ocp-Apim-Subscription-Key``) and a timeout. A 429
is retried after its ``Retry-After`` (seconds, at most ``max_wait``), a 5xx or a network error a
few times with a growing wait; any other 4xx, or a body that is not JSON, raises ``CqcApiError``
with the reason. ``sleep`` is injectable so tests do not wait.

Standard library only (urllib): nothing else to install for one GET.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

logger = logging.getLogger(__name__)

PER_PAGE = 1000
TIMEOUT = 30.0  # seconds, per request
RETRIES = 4  # after the first try, for 429, 5xx and network errors
BACKOFF = 2.0  # seconds before the first retry of a 5xx; doubled each time
MAX_WAIT = 120.0  # the longest we honour a Retry-After, or back off, before giving up
MAX_PAGES = 10_000  # a feed that never ends is an error, not a loop


class CqcApiError(Exception):
    """CQC's API refused, failed or answered something we cannot read; ``status`` when HTTP."""

    def __init__(self, message: str, *, status: int | None = None, url: str = ""):
        super().__init__(message)
        self.status = status
        self.url = url


def cqc_timestamp(moment: datetime) -> str:
    """The API's timestamps: UTC, to the second, like 2026-12-04T02:00:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from CQC; back off as for a 5xx instead


class CqcClient:
    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        timeout: float = TIMEOUT,
        retries: int = RETRIES,
        backoff: float = BACKOFF,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not base_url.startswith(("https://", "http://")):
            raise ValueError(f"The CQC API URL must be http(s), not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.requests = 0  # how many HTTP requests were made, retries included

    # --- the two calls ---------------------------------------------------------------------

    def changed_locations(
        self, start: datetime, end: datetime, *, per_page: int = PER_PAGE
    ) -> Iterator[str]:
        url: str | None = self._url(
            "/changes/location",
            startTimestamp=cqc_timestamp(start),
            endTimestamp=cqc_timestamp(end),
            page=1,
            perPage=per_page,
        )
        page = 1
        while url:
            body = self.get_json(url)
            changes = body.get("changes") if isinstance(body, dict) else None
            if not isinstance(changes, list):
                raise CqcApiError("The changes feed has no list of changes", url=url)
            for location_id in changes:
                if isinstance(location_id, str) and location_id:
                    yield location_id
            total = body.get("totalPages")
            next_uri = body.get("nextPageUri")
            # A next link is followed whenever there is one, page count or not; without one,
            # the page count says whether there is more (a page we cannot name is the end).
            if next_uri and isinstance(next_uri, str):
                url = self._absolute(next_uri)
            elif isinstance(total, int) and page < total:
                url = self._url(
                    "/changes/location",
                    startTimestamp=cqc_timestamp(start),
                    endTimestamp=cqc_timestamp(end),
                    page=page + 1,
                    perPage=per_page,
                )
            else:
                return
            page += 1
            if page > MAX_PAGES:
                # Stopping here would lose the rest: the walk is unfinished, not done.
                raise CqcApiError(
                    f"The changes feed went on past {MAX_PAGES} pages; not read in full", url=url
                )

    def location(self, location_id: str) -> dict[str, Any]:
        url = self._url(f"/locations/{urllib.parse.quote(location_id, safe='')}")
        body = self.get_json(url)
        if not isinstance(body, dict):
            raise CqcApiError(f"The detail of location {location_id} is not an object", url=url)
        return body

    # --- HTTP ------------------------------------------------------------------------------

    def _url(self, path: str, **params) -> str:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        return f"{self.base_url}{path}{query}"

    def _absolute(self, uri: str) -> str:
        """``nextPageUri`` is a path below the API's base (or, some days, a whole URL)."""
        if uri.startswith(("http://", "https://")):
            return uri
        return f"{self.base_url}/{uri.lstrip('/')}"

    def get_json(self, url: str) -> Any:
        # S310: only http(s) URLs reach here (checked in __init__; _absolute keeps the scheme).
        request = urllib.request.Request(  # noqa: S310
            url,
            headers={
                "Ocp-Apim-Subscription-Key": self.key,
                "Accept": "application/json",
                "User-Agent": "QAF CQC change sync",
            },
        )
        attempt = 0
        while True:
            wait: float | None = None
            try:
                self.requests += 1
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    raw = response.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                if status == 429:
                    wait = _retry_after(exc.headers.get("Retry-After"))
                    if wait is None:
                        wait = self.backoff * 2**attempt
                    reason = "too many requests (429)"
                elif status >= 500:
                    wait = self.backoff * 2**attempt
                    reason = f"a server error ({status})"
                else:
                    raise CqcApiError(
                        f"CQC's API refused {_path(url)} with {status} {exc.reason}",
                        status=status,
                        url=url,
                    ) from None
                if attempt >= self.retries or wait > self.max_wait:
                    raise CqcApiError(
                        f"CQC's API answered {_path(url)} with {reason} "
                        f"{attempt + 1} times; giving up",
                        status=status,
                        url=url,
                    ) from None
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                reason = getattr(exc, "reason", exc)
                wait = self.backoff * 2**attempt
                if attempt >= self.retries or wait > self.max_wait:
                    raise CqcApiError(
                        f"CQC's API could not be reached for {_path(url)}: {reason}", url=url
                    ) from None
            else:
                try:
                    return json.loads(raw)
                except ValueError:
                    raise CqcApiError(
                        f"CQC's API answered {_path(url)} with something that is not JSON",
                        url=url,
                    ) from None
            logger.warning("CQC API: retrying %s in %.1f s", _path(url), wait)
            self.sleep(wait)
            attempt += 1


def _path(url: str) -> str:
    """The URL without the host, for messages (the key is never in a URL)."""
    parts = urllib.parse.urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")

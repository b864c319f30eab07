"""The load scenario of ``bench/bench_load.py`` (locust): officers, managers and provider users.

Run by ``bench/bench_load.py``, which makes the accounts (``bench_officer1``, ...,
``bench_manager1``, ..., ``bench_provider1``, ...) and starts the servers; by hand:

    LOAD_PASSWORD=... LOAD_UPLOAD=var/bench-load/evidence.pdf \\
        .venv/bin/locust -f bench/locustfile.py --headless -u 20 -r 5 -t 3m --host http://...

Each locust user signs in as an account of its own (a TOTP code is accepted once per account
and time step), through the login page; staff then give their authenticator app's code, which
is computed here from the key ``bench_load.totp_key`` gave their device. A request counts as
failed on an unexpected status, on a redirect it did not expect (to the sign-in page, say),
and, for a visit save, when the server does not say "saved" with a new version. Each officer
saves only on a review of their own, so a 409 (a colleague saved the same answer first) is not
expected here and counts as a failure.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from datetime import date

from bench_load import SIGNING_IN as SIGN_IN
from bench_load import think_range, totp_key, username
from django_otp.oath import totp
from locust import HttpUser, between, events, task
from locust.exception import StopUser

PASSWORD = os.environ.get("LOAD_PASSWORD", "")
UPLOAD = os.environ.get("LOAD_UPLOAD", "")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
SEARCH_WORDS = ["Willow", "Beech", "Cedar", "Heron", "Kingfisher", "Lavender", "Court", "Manor"]
TYPES = ["care_home", "care_home_nursing", "domiciliary_care", "supported_living", "extra_care"]
RATINGS = ["inadequate", "requires_improvement", "good", "outstanding", "not_rated"]
SCORES = ["4", "3", "2", "1"]
UNCONFIRMED = "visit save not confirmed"
# Every request's time (ms), to write exact totals at the end (locust's own percentiles are
# rounded to 2 significant figures): all requests, all but the sign-ins, and those of the
# steady state (all but the sign-ins, after every user has started: no one signing in).
TIMES: dict[str, list[float]] = {"all": [], "working": [], "steady": []}
STEADY = {"since": False}


@events.spawning_complete.add_listener
def _all_started(**_kwargs) -> None:
    STEADY["since"] = True


@events.request.add_listener
def _record(name: str, response_time: float, **_kwargs) -> None:
    if name == UNCONFIRMED:
        return  # not a request: a save answered 200 without "saved" (counted as a failure)
    TIMES["all"].append(response_time)
    if not name.startswith(SIGN_IN):
        TIMES["working"].append(response_time)
        if STEADY["since"]:
            TIMES["steady"].append(response_time)


@events.quitting.add_listener
def _write_totals(**_kwargs) -> None:
    if path := os.environ.get("LOAD_TOTALS"):
        with open(path, "w") as handle:
            json.dump(TIMES, handle)


def ids(text: str, prefix: str) -> list[int]:
    """The ids of the links to ``prefix<id>/`` on a page."""
    return sorted({int(n) for n in re.findall(rf'href="{re.escape(prefix)}(\d+)/"', text)})


class QafUser(HttpUser):
    abstract = True
    kind = ""
    # Seconds between one user's requests (bench_load.py --think): 1 to 3 by default.
    wait_time = between(*think_range(os.environ.get("LOAD_THINK", "1-3")))
    # One account per locust user: bench_<kind>1, bench_<kind>2, ...
    numbers: itertools.count

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.numbers = itertools.count(1)

    def on_start(self) -> None:
        self.username = username(self.kind, next(self.numbers))
        self.csrf = ""
        self.sign_in()

    # --- Requests ---------------------------------------------------------------------------

    def page(self, path: str, name: str, *, expect: int = 200) -> str:
        """GET a page; a failure unless it answers ``expect`` without a redirect."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.history or response.status_code != expect:
                where = response.history[0].headers.get("Location") if response.history else ""
                response.failure(f"{response.status_code} {where}".strip())
                return ""
            text = response.text
            if token := CSRF_HEADER.search(text):
                self.csrf = token.group(1)
            response.success()
            return text

    def post(self, path: str, name: str, data, *, expect: int, files=None, headers=None):
        """POST a form; a failure unless it answers ``expect`` (a redirect is not followed)."""
        with self.client.post(
            path,
            data=data,
            files=files,
            headers={"X-CSRFToken": self.csrf, **(headers or {})},
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != expect:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return None
            response.success()
            return response

    def sign_in(self) -> None:
        text = self.page("/accounts/login/", SIGN_IN + "login page")
        token = CSRF_INPUT.search(text)
        if not token:
            raise StopUser()
        answer = self.post(
            "/accounts/login/",
            SIGN_IN + "password",
            {
                "csrfmiddlewaretoken": token.group(1),
                "username": self.username,
                "password": PASSWORD,
            },
            expect=302,
        )
        if answer is None:
            raise StopUser()
        if self.kind != "provider":
            text = self.page("/accounts/two-factor/", SIGN_IN + "two-factor page")
            token = CSRF_INPUT.search(text)
            code = f"{totp(bytes.fromhex(totp_key(self.username))):06d}"
            answer = self.post(
                "/accounts/two-factor/",
                SIGN_IN + "two-factor code",
                {"csrfmiddlewaretoken": token.group(1) if token else "", "code": code},
                expect=302,
            )
            if answer is None:
                raise StopUser()


class OfficerUser(QafUser):
    """A quality officer: the register, and the visit form of their own reviews."""

    weight = 3
    kind = "officer"

    def on_start(self) -> None:
        super().on_start()
        self.services: list[int] = []
        # "My reviews" on the home page, the next visit first: the officer works on the first
        # one the visit form can record (seed_scale's reviews were planned without a toolkit).
        home = self.home()
        mine = home[home.find('id="my-reviews"') :]
        links = re.findall(r'href="/reviews/(\d+)/"', mine)
        self.reviews = list(dict.fromkeys(int(n) for n in links))
        self.questions: dict[int, int] = {}  # the visit's questions -> versions
        while self.reviews and not self.questions:
            self.review = self.reviews.pop(0)
            self.visit_page()
        if not self.questions:
            raise StopUser()

    @task(2)
    def home(self) -> str:
        return self.page("/", "/ (home)")

    def _list(self, query: str, name: str) -> None:
        text = self.page(f"/services/?{query}", name)
        self.services = ids(text, "/services/") or self.services

    @task(3)
    def service_list(self) -> None:
        self._list(f"page={random.randint(1, 100)}", "/services/?page=[n]")

    @task(2)
    def service_list_filtered(self) -> None:
        filters = random.choice(
            [
                f"regulator_rating={random.choice(RATINGS)}&service_type={random.choice(TYPES)}",
                "risk_rating=red&review_overdue=true",
                f"service_type={random.choice(TYPES)}&sort=name&page={random.randint(1, 20)}",
            ]
        )
        self._list(filters, "/services/?[filters]")

    @task(2)
    def service_search(self) -> None:
        self._list(f"q={random.choice(SEARCH_WORDS)}", "/services/?q=[word]")

    @task(3)
    def service_detail(self) -> None:
        if self.services:
            self.page(f"/services/{random.choice(self.services)}/", "/services/[id]/")

    @task(1)
    def visit_page(self) -> None:
        """The visit form; the questions' versions as it gives them."""
        text = self.page(f"/reviews/{self.review}/visit/", "/reviews/[id]/visit/")
        versions = re.findall(r'name="q(\d+)-version" value="(\d+)"', text)
        self.questions.update({int(q): int(v) for q, v in versions})

    @task(6)
    def save_answer(self) -> None:
        """One question's score or notes, with the version the page gave, as htmx posts it."""
        review, questions = self.review, self.questions
        question = random.choice(list(questions))
        prefix = f"q{question}"
        data = {f"{prefix}-version": questions[question]}
        if random.random() < 0.5:
            data[f"{prefix}-score"] = random.choice(SCORES)
        else:
            data[f"{prefix}-notes"] = (
                f"Seen in the care records; confirmed with staff (note {random.randint(1, 10**6)})."
            )
        answer = self.post(
            f"/reviews/{review}/visit/questions/{question}/",
            "/reviews/[id]/visit/questions/[id]/ (save)",
            data,
            expect=200,
            headers={
                "HX-Request": "true",
                "HX-Current-URL": f"{self.host}/reviews/{review}/visit/",
            },
        )
        if answer is not None:
            if answer.headers.get("X-Visit-Outcome") != "saved":
                # Counted as a failure in the stats too.
                self.environment.events.request.fire(
                    request_type="POST",
                    name=UNCONFIRMED,
                    response_time=0,
                    response_length=0,
                    exception=RuntimeError(answer.headers.get("X-Visit-Outcome")),
                    context={},
                )
            else:
                questions[question] = int(answer.headers["X-Visit-Version"])


class ManagerUser(QafUser):
    """A quality manager: the dashboard and the queues."""

    weight = 1
    kind = "manager"

    @task(4)
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")

    @task(1)
    def home(self) -> None:
        self.page("/", "/ (home)")

    @task(2)
    def suspensions(self) -> None:
        self.page("/suspensions/", "/suspensions/")

    @task(1)
    def escalations(self) -> None:
        self.page("/escalations/", "/escalations/")

    @task(2)
    def concern_levels(self) -> None:
        self.page("/concern-levels/", "/concern-levels/")

    @task(1)
    def board(self) -> None:
        self.page("/board/", "/board/")

    @task(1)
    def plans(self) -> None:
        self.page("/improvement-plans/", "/improvement-plans/")


class ProviderUser(QafUser):
    """A provider user in the portal: home, evidence library (with uploads), requests."""

    weight = 1
    kind = "provider"

    def on_start(self) -> None:
        super().on_start()
        self.requests: list[int] = []
        with open(UPLOAD, "rb") as handle:
            self.pdf = handle.read()
        self.uploads = itertools.count(1)

    @task(3)
    def home(self) -> None:
        self.page("/", "/ (home)")

    @task(3)
    def library(self) -> None:
        self.page("/evidence/", "/evidence/")

    @task(1)
    def upload(self) -> None:
        """The library's upload form: a small PDF, as a browser posts it."""
        text = self.page("/evidence/", "/evidence/")
        token = CSRF_INPUT.search(text)
        if not token:
            return
        today = date.today()
        self.post(
            "/evidence/",
            "/evidence/ (upload)",
            {
                "csrfmiddlewaretoken": token.group(1),
                "title": f"Policy uploaded by {self.username} ({next(self.uploads)})",
                "evidence_date": f"{today.day}/{today.month}/{today.year}",
            },
            files={"file": ("policy.pdf", self.pdf, "application/pdf")},
            expect=302,
        )

    @task(2)
    def information_requests(self) -> None:
        text = self.page("/information-requests/", "/information-requests/")
        self.requests = ids(text, "/information-requests/") or self.requests

    @task(1)
    def information_request(self) -> None:
        if self.requests:
            self.page(
                f"/information-requests/{random.choice(self.requests)}/",
                "/information-requests/[id]/",
            )

"""The virus-scan hook (SPEC §10): which scanner ``QAF_VIRUS_SCANNER`` names, and a ClamAV
client speaking clamd's INSTREAM protocol over a socket.

- ``none`` (the default in development and tests): nothing is scanned; every file is called
  clean, with a log line saying so.
- ``clamd`` (the default in production): ``QAF_CLAMD_SOCKET`` is a Unix socket path
  (``/var/run/clamav/clamd.ctl``) or ``host:port`` (``clamav:3310``). clamd's
  ``StreamMaxLength`` must be at least ``QAF_UPLOAD_MAX_BYTES`` (its default, 25 MB, is less
  than ours): a larger file is answered "size limit exceeded" and stays unscanned.

INSTREAM: send ``zINSTREAM\\0``, then the file as chunks each prefixed by its length (4 bytes,
network order), then a zero length; clamd answers ``stream: OK``, ``stream: <name> FOUND`` or
``<message> ERROR``, ended by ``\\0``. A scanner that cannot be reached raises
``ScannerUnavailable`` so the caller keeps the file waiting and tries again later: nothing is
ever called clean without an answer.
"""

from __future__ import annotations

import logging
import socket
import struct
from dataclasses import dataclass
from typing import IO, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
REPLY_LIMIT = 4096


@dataclass(frozen=True)
class ScanResult:
    infected: bool
    signature: str = ""  # clamd's name for what it found: "Eicar-Signature"


class ScanError(Exception):
    """The scan gave no verdict (the file stays waiting for one)."""


class ScannerUnavailable(ScanError):
    """The scanner could not be reached or stopped answering: try again later."""


class Scanner(Protocol):
    name: str

    def scan(self, stream: IO[bytes]) -> ScanResult: ...


class NoScanner:
    """``QAF_VIRUS_SCANNER=none``: for development and tests, where no ClamAV runs."""

    name = "none"

    def scan(self, stream: IO[bytes]) -> ScanResult:
        logger.info("Virus scanning is off (QAF_VIRUS_SCANNER=none): file not scanned")
        return ScanResult(infected=False)


class ClamdScanner:
    name = "clamd"

    def __init__(self, address: str, *, timeout: float = 60.0):
        self.address = address
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        try:
            if self.address.startswith("/"):
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                target: str | tuple[str, int] = self.address
            else:
                host, _, port = self.address.rpartition(":")
                sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
                target = (host.strip("[]"), int(port))
            sock.settimeout(self.timeout)
            sock.connect(target)
        except (OSError, ValueError) as exc:
            raise ScannerUnavailable(f"clamd at {self.address} is unreachable: {exc}") from exc
        return sock

    def ping(self) -> bool:
        try:
            with self._connect() as sock:
                sock.sendall(b"zPING\0")
                return _read_reply(sock) == "PONG"
        except (ScanError, OSError):
            return False

    def scan(self, stream: IO[bytes]) -> ScanResult:
        with self._connect() as sock:
            try:
                sock.sendall(b"zINSTREAM\0")
                while chunk := stream.read(CHUNK):
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
            except OSError as exc:
                # clamd closes the stream early when it is over its StreamMaxLength; it has
                # usually said why first.
                reply = _try_read_reply(sock)
                if reply:
                    return _verdict(reply)
                raise ScannerUnavailable(f"clamd stopped reading the file: {exc}") from exc
            try:
                reply = _read_reply(sock)
            except OSError as exc:
                raise ScannerUnavailable(f"clamd did not answer: {exc}") from exc
        return _verdict(reply)


def _read_reply(sock: socket.socket) -> str:
    data = b""
    while b"\0" not in data and len(data) < REPLY_LIMIT:
        part = sock.recv(1024)
        if not part:
            break
        data += part
    if not data:
        raise ScannerUnavailable("clamd closed the connection without an answer")
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _try_read_reply(sock: socket.socket) -> str:
    try:
        return _read_reply(sock)
    except (ScanError, OSError):
        return ""


def _verdict(reply: str) -> ScanResult:
    if reply.endswith("ERROR"):
        raise ScanError(f"clamd refused the scan: {reply}")
    answer = reply.removeprefix("stream:").strip()
    if answer == "OK":
        return ScanResult(infected=False)
    if answer.endswith(" FOUND"):
        return ScanResult(infected=True, signature=answer.removesuffix(" FOUND").strip())
    raise ScanError(f"clamd answered something unexpected: {reply!r}")


def get_scanner() -> Scanner:
    """The scanner the settings choose."""
    if settings.QAF_VIRUS_SCANNER == "clamd":
        return ClamdScanner(settings.QAF_CLAMD_SOCKET, timeout=settings.QAF_CLAMD_TIMEOUT)
    return NoScanner()

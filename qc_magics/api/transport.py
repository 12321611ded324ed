"""One HTTP conversation with QuantConnect API v2: signing, retries, and turning answers into errors.

Why retries are split by kind of request: a read or an update can be sent twice without harm, but a
create (project, file, compile, backtest, optimization) sent twice can make two jobs and charge
twice. Creates are therefore retried only when the service certainly did not act on them: a 429
(rate limited before any work) or a connection that was never made.
"""
from __future__ import annotations

import hashlib
import logging
import random
import threading
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Mapping

import requests
from requests.adapters import HTTPAdapter

from ..config import Credentials
from ..errors import (ApiError, AuthenticationError, ConflictError, MalformedResponse,
                      NotFoundError, RequestTimeout, TransportError, Wording)

log = logging.getLogger("qc_magics.api")

USER_AGENT = "qc-magics/0.1 (+python-requests)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try again. Delay for attempt n: uniform(0, min(cap, base * 2**n)) ("full jitter"),
    or the server's Retry-After when it gives one (capped at `max_retry_after`)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return random.uniform(0, min(self.cap, self.base * (2 ** attempt)))


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 60.0

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


def signature(api_token: str, timestamp: str) -> str:
    """The password QuantConnect expects: sha256 of "{token}:{timestamp}", hex."""
    return hashlib.sha256(f"{api_token}:{timestamp}".encode()).hexdigest()


class _QCAuth(requests.auth.AuthBase):
    """HTTP Basic with a fresh signature and Timestamp header on every request (and every retry)."""

    def __init__(self, credentials: Credentials, clock: Callable[[], float]):
        self._credentials = credentials
        self._clock = clock

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        ts = str(int(self._clock()))
        password = signature(self._credentials.api_token.reveal(), ts)
        r.prepare_auth(requests.auth.HTTPBasicAuth(self._credentials.user_id, password))
        r.headers["Timestamp"] = ts
        return r

    def __repr__(self) -> str:
        return "<QC auth (hidden)>"


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _classify(endpoint: str, errors: list[str]) -> ApiError:
    text = " ".join(errors).lower()
    if any(m.lower() in text for m in (Wording.HASH_MISMATCH,)):
        raise AuthenticationError(_auth_message(errors))
    if any(m in text for m in Wording.CONFLICT_MARKERS):
        return ConflictError(endpoint, errors,
                             f"{endpoint}: {'; '.join(errors)} Close the project in the other "
                             "editor (or wait for its lock to expire) and try again.")
    if any(m in text for m in Wording.NOT_FOUND_MARKERS):
        return NotFoundError(endpoint, errors)
    return ApiError(endpoint, errors)


def _auth_message(errors: list[str] | None = None) -> str:
    said = f" The service said: {'; '.join(errors)}" if errors else ""
    return ("QuantConnect refused the credentials: check the user id and API token (see "
            "https://www.quantconnect.com/account), and that this computer's clock is right, "
            "since each request is signed with the current time." + said)


class Transport:
    """Sends signed POSTs to one API base URL and returns the decoded JSON object."""

    def __init__(self, credentials: Credentials, *, timeouts: Timeouts | None = None,
                 retry: RetryPolicy | None = None, pool_size: int = 16,
                 clock: Callable[[], float] = time.time):
        self.credentials = credentials
        self.timeouts = timeouts or Timeouts()
        self.retry = retry or RetryPolicy()
        self.pool_size = pool_size
        self._clock = clock
        self._session: requests.Session | None = None
        self._lock = threading.Lock()
        self.requests_made = 0  # counted for benchmarks and tests

    @property
    def session(self) -> requests.Session:
        # Created on first use so that building a client never touches the network stack.
        if self._session is None:
            with self._lock:
                if self._session is None:
                    s = requests.Session()
                    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self.pool_size,
                                          max_retries=0, pool_block=True)
                    s.mount("https://", adapter)
                    s.mount("http://", adapter)
                    s.headers["User-Agent"] = USER_AGENT
                    s.auth = _QCAuth(self.credentials, self._clock)
                    s.trust_env = True
                    self._session = s
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def post(self, endpoint: str, body: Mapping[str, Any] | None = None, *,
             idempotent: bool = True, check_success: bool = True) -> dict:
        """POST `body` as JSON to `endpoint` (e.g. "/projects/read") and return the JSON object.

        Raises AuthenticationError, ApiError (and NotFoundError / ConflictError), RequestTimeout,
        MalformedResponse or TransportError; never returns None.
        """
        url = self.credentials.api_url + endpoint
        payload = {k: v for k, v in (body or {}).items() if v is not None}
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            try:
                with self._lock:
                    self.requests_made += 1
                response = self.session.post(url, json=payload, timeout=self.timeouts.as_tuple())
            except requests.exceptions.ConnectTimeout:
                # Never connected: the service cannot have acted, so even a create may go again.
                if attempt < self.retry.attempts:
                    self._sleep(endpoint, attempt, None, "connect timeout")
                    continue
                raise RequestTimeout(f"{endpoint}: could not connect to {self._host()} within "
                                     f"{self.timeouts.connect:g}s", endpoint=endpoint) from None
            except requests.exceptions.ReadTimeout:
                if idempotent and attempt < self.retry.attempts:
                    self._sleep(endpoint, attempt, None, "read timeout")
                    continue
                hint = "" if idempotent else (" The request may still have been carried out; "
                                              "check before creating it again.")
                raise RequestTimeout(f"{endpoint}: no answer from {self._host()} within "
                                     f"{self.timeouts.read:g}s.{hint}", endpoint=endpoint) from None
            except requests.exceptions.ConnectionError as e:
                never_sent = _connection_never_made(e)
                if (idempotent or never_sent) and attempt < self.retry.attempts:
                    self._sleep(endpoint, attempt, None, "connection error")
                    continue
                hint = "" if idempotent or never_sent else (
                    " The request may still have been carried out; check before creating it again.")
                raise TransportError(f"{endpoint}: connection to {self._host()} failed "
                                     f"({type(e).__name__}).{hint}", endpoint=endpoint) from None
            except requests.exceptions.RequestException as e:
                raise TransportError(f"{endpoint}: request failed ({type(e).__name__})",
                                     endpoint=endpoint) from None
            elapsed = time.monotonic() - started
            log.debug("POST %s -> %s in %.0f ms (attempt %d)", endpoint, response.status_code,
                      elapsed * 1000, attempt)

            status = response.status_code
            if status in RETRY_STATUSES:
                # 429 means "not now": nothing was done, so creates may retry too.
                if (idempotent or status == 429) and attempt < self.retry.attempts:
                    self._sleep(endpoint, attempt, _retry_after(response), f"HTTP {status}")
                    continue
                raise TransportError(f"{endpoint}: the service answered HTTP {status} "
                                     f"{response.reason or ''}".rstrip() +
                                     (f" after {attempt} attempts" if attempt > 1 else "") +
                                     "; try again later.", endpoint=endpoint, status=status)
            if status == 401:
                raise AuthenticationError(_auth_message(_errors_of(response)))
            if status >= 400:
                raise TransportError(f"{endpoint}: the service answered HTTP {status} "
                                     f"{response.reason or ''}".rstrip(),
                                     endpoint=endpoint, status=status)
            data = _decode(endpoint, response)
            if check_success and data.get("success") is False:
                raise _classify(endpoint, [str(e) for e in data.get("errors") or []])
            return data

    def _sleep(self, endpoint: str, attempt: int, retry_after: float | None, why: str) -> None:
        delay = self.retry.delay(attempt - 1, retry_after)
        log.info("%s: %s, retrying in %.2fs (attempt %d of %d)", endpoint, why, delay,
                 attempt + 1, self.retry.attempts)
        time.sleep(delay)

    def _host(self) -> str:
        return self.credentials.api_url.split("/")[2]


def _connection_never_made(e: requests.exceptions.ConnectionError) -> bool:
    """True when the TCP connection itself failed, so no byte of the request reached the service."""
    text = repr(e.args[0]) if e.args else ""
    return any(s in text for s in ("NewConnectionError", "ConnectionRefusedError",
                                   "Failed to establish a new connection", "NameResolutionError"))


def _errors_of(response: requests.Response) -> list[str]:
    try:
        data = response.json()
    except ValueError:
        return []
    return [str(e) for e in data.get("errors") or []] if isinstance(data, dict) else []


def _decode(endpoint: str, response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        snippet = response.text[:80].replace("\n", " ")
        raise MalformedResponse(f"{endpoint}: the service answered with something that is not "
                                f"JSON (HTTP {response.status_code}, starts {snippet!r})",
                                endpoint=endpoint, status=response.status_code) from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"{endpoint}: expected a JSON object, got {type(data).__name__}",
                                endpoint=endpoint, status=response.status_code)
    return data

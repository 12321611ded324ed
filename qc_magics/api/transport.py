"""One HTTP conversation with QuantConnect API v2: signing, retries, and turning answers into errors.

Why retries are split by kind of request: a read or an update can be sent twice without harm, but a
create (project, file, compile, backtest, optimization) sent twice can make two jobs and charge
twice. Creates are therefore retried only when the service certainly did not act on them: a 429
(rate limited before any work) or a connection that was never made.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any, Callable, Iterator, Mapping, Sequence

from . import wire
from ..credentials import Credentials
from ..errors import (AuthenticationError, FileTooLarge, InvalidArgument, MalformedResponse,
                      QCError, RequestTimeout, TransportError)
from ..records import FrozenRecord
from .answers import auth_message, classify, errors_of, is_auth_failure
from .decoding import FLOAT_ANSWERS, NOT_JSON, decoded, json_of
from .signing import QCAuth, signature
from .wire import Response

__all__ = ["Transport", "RetryPolicy", "Timeouts", "signature"]



def log(level: str, message: str, *args: Any) -> None:
    """Log to the "qc_magics.api" logger, if logging is in use. Debug and info records are
    only ever shown by a handler someone configured, which means logging is imported; when it
    is not, the record could go nowhere, so the module is not loaded for it (logging and what
    it imports are a start-up cost on every command)."""
    logging = sys.modules.get("logging")
    if logging is not None:
        getattr(logging.getLogger("qc_magics.api"), level)(message, *args)

USER_AGENT = wire.USER_AGENT
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
JSON_HEADERS = (("Content-Type", "application/json"),)

# How to find out whether a create that got no clear answer was carried out. Said instead of
# "try again": a second create can make a second project, backtest or paid optimization.
CREATE_CHECKS = {
    "/projects/create": ("before creating it again, list the projects (QCClient.list_projects) "
                         "and look for it"),
    "/files/create": "before creating it again, read the project's files (QCClient.read_files)",
    "/files/update": ("read the project's files (QCClient.read_files) to see whether the rename "
                      "happened"),
    "/files/patch": ("read the project's files (QCClient.read_files) to see whether the patch "
                     "applied"),
    "/compile/create": ("compiles are not listed, but one that ran costs nothing and changes "
                        "nothing in the project"),
    "/backtests/create": ("before starting it again, list the project's backtests "
                          "(QCClient.list_backtests)"),
    "/optimizations/create": ("before starting it again, list the project's optimizations "
                              "(QCClient.list_optimizations): one may be running and being "
                              "charged"),
}


class RetryPolicy(FrozenRecord):
    """How hard to try again. Delay for attempt n: uniform(0, min(cap, base * 2**n)) ("full jitter"),
    or the server's Retry-After when it gives one (capped at `max_retry_after`)."""

    attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    max_retry_after: float = 60.0

    def __init__(self, attempts: int = 5, base: float = 0.5, cap: float = 8.0,
                 max_retry_after: float = 60.0):
        self._set(attempts=attempts, base=base, cap=cap, max_retry_after=max_retry_after)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        import random
        return random.uniform(0, min(self.cap, self.base * (2 ** attempt)))


class Timeouts(FrozenRecord):
    """Seconds to wait for a connection, and for each wait for bytes of an answer."""

    connect: float = 10.0
    read: float = 60.0

    def __init__(self, connect: float = 10.0, read: float = 60.0):
        self._set(connect=connect, read=read)

    def as_tuple(self) -> tuple[float, float]:
        return (self.connect, self.read)


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
        self._session: wire.Pool | None = None
        self._lock = threading.Lock()
        self.requests_made = 0  # counted for benchmarks and tests
        self.retries_made = 0   # 429/5xx/connection retries: adaptive pools back off on them
        self.auth = QCAuth(credentials, clock)

    @property
    def session(self) -> wire.Pool:
        """The connection pool (made on first use, so that building a client never touches the
        network stack); `session.auth` signs, as the requests session's did."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    pool = wire.Pool(maxsize=self.pool_size, timeouts=self.timeouts.as_tuple(),
                                     user_agent=USER_AGENT)
                    pool.auth = self.auth
                    self._session = pool
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def post(self, endpoint: str, body: Mapping[str, Any] | None = None, *,
             idempotent: bool = True, check_success: bool = True,
             decode: Callable[[bytes], dict | None] | None = None) -> dict:
        """POST `body` as JSON to `endpoint` (e.g. "/projects/read") and return the JSON object.

        Raises AuthenticationError, ApiError (NotFoundError, ConflictError, FileTooLarge),
        RequestTimeout, MalformedResponse or TransportError; never returns None. A create
        (`idempotent=False`) that may have been carried out raises with `may_have_acted` True.

        `decode`, for answers read in bulk: given the bytes of an HTTP 200 answer in UTF-8, it
        returns what to hand back for a successful answer of the usual shape, or None for
        anything else (an error, another shape, JSON it does not read), which then takes the
        general path: parsed as JSON, checked, retried or raised as above.
        """
        url = self.credentials.api_url + endpoint
        payload = {k: v for k, v in (body or {}).items() if v is not None}
        raw = _encode(endpoint, payload)
        attempt = 0
        while True:
            attempt += 1
            started = time.monotonic()
            outcome = self._send(url, raw)
            if isinstance(outcome, _Failed):
                if outcome.kind == "interrupted":
                    # A fresh KeyboardInterrupt, raised outside any `except`: the one Ctrl-C made
                    # went through urllib3's frames, whose locals hold the signed headers.
                    raise KeyboardInterrupt() from None
                if outcome.kind == "ours":
                    raise outcome.error
                if self._may_retry(outcome.kind, idempotent, attempt):
                    self._sleep(endpoint, attempt, None, outcome.kind.replace("-", " "))
                    continue
                raise self._failure(endpoint, outcome, idempotent)
            response = outcome
            log("debug", "POST %s -> %s in %.0f ms (attempt %d)", endpoint, response.status_code,
                      (time.monotonic() - started) * 1000, attempt)
            status = response.status_code
            quick = decoded(response, decode)
            if quick is not None:
                return quick
            body = json_of(response, exact=endpoint not in FLOAT_ANSWERS)
            error = self._error_of(endpoint, response, body, payload, attempt=attempt,
                                   idempotent=idempotent, check_success=check_success)
            if error is None:
                return body
            # 429 means "not now": nothing was done, so creates may retry too. A refusal of the
            # credentials is never retried, whatever its status.
            if status in RETRY_STATUSES and not isinstance(error, AuthenticationError) \
                    and (idempotent or status == 429) and attempt < self.retry.attempts:
                self._sleep(endpoint, attempt, _retry_after(response), f"HTTP {status}")
                continue
            raise error

    def post_many(self, endpoint: str, bodies: Sequence[Mapping[str, Any]], *,
                  concurrency: int, decode: Callable[[bytes], dict | None] | None = None
                  ) -> Iterator[dict]:
        """post(endpoint, body, decode=decode) for every body, the answers in the order of
        `bodies`, up to `concurrency` requests out at once from this thread (api/exchange.py).
        For reads only: a body may be sent more than once.

        A body whose answer is not a good one (a failed connection, a refusal, a 429 or 5xx,
        JSON that is not an object) is sent again through post(), which retries, waits and
        raises as always, once the exchange is closed: post() needs a connection of the pool,
        and the exchange may hold them all. After a refusal, a 429, 502, 503 or 504 nothing
        more goes out (what was out is dropped and asked for again later), and after a 429 or
        5xx the wait post() would make (the service's Retry-After, else backing off) comes
        before the body is sent again. Nothing is sent unless every body can be.

        >>> for answer in transport.post_many("/backtests/orders/read", windows, concurrency=16):
        ...     ...
        """
        url = self.credentials.api_url + endpoint
        payloads = [{k: v for k, v in body.items() if v is not None} for body in bodies]
        raws = [_encode(endpoint, payload) for payload in payloads]
        came: dict[int, dict] = {}
        turn = 0   # the position whose answer is handed back next
        left = list(range(len(bodies)))   # not answered yet, in order
        interrupted = False
        try:
            while left:
                again: list[int] = []   # to send through post(), once the exchange is closed
                wait: tuple[float | None, str] | None = None   # (Retry-After, why) of a 429/5xx
                with self.session.exchange("POST", url, [raws[i] for i in left], JSON_HEADERS,
                                           self.auth, concurrency=concurrency) as exchange:
                    for position, outcome in exchange:
                        index = left[position]
                        with self._lock:
                            self.requests_made += 1
                        answer = self._good(endpoint, outcome, payloads[index], decode) \
                            if isinstance(outcome, Response) else None
                        if answer is None:
                            again.append(index)
                            if not isinstance(outcome, Response):
                                continue   # a connection's failure: the others go on
                            status = outcome.status_code
                            if status in RETRY_STATUSES:
                                after = _retry_after(outcome)
                                if wait is None or (after or 0) > (wait[0] or 0):
                                    wait = (after, f"HTTP {status}")
                            if status == 500:
                                continue   # this window's failure, perhaps: the others go on
                            break   # refused, rate limited or overloaded: no more for now
                        came[index] = answer
                        while turn in came:
                            yield came.pop(turn)
                            turn += 1
                            exchange.pump()   # what came during the caller's work: more go out
                if wait is not None:   # as post() waits before its next attempt (Retry-After)
                    self._sleep(endpoint, 1, *wait)
                for index in sorted(again):
                    came[index] = self.post(endpoint, payloads[index], decode=decode)
                    while turn in came:
                        yield came.pop(turn)
                        turn += 1
                left = [i for i in left if i >= turn and i not in came]
        except KeyboardInterrupt:
            # As in post(): a fresh one, raised outside any `except`, so that no frame of the
            # HTTP layer (whose locals may hold the signed headers) is in its traceback.
            interrupted = True
        if interrupted:
            raise KeyboardInterrupt() from None

    def _good(self, endpoint: str, response: Response, payload: Mapping[str, Any],
              decode: Callable[[bytes], dict | None] | None) -> dict | None:
        """The answer as post() returns it when the response is a good one at once, else None."""
        quick = decoded(response, decode)
        if quick is not None:
            return quick
        body = json_of(response, exact=endpoint not in FLOAT_ANSWERS)
        error = self._error_of(endpoint, response, body, payload, attempt=1, idempotent=True,
                               check_success=True)
        return body if error is None else None

    def _error_of(self, endpoint: str, response: Response, body: Any,
                  payload: Mapping[str, Any], *, attempt: int, idempotent: bool,
                  check_success: bool) -> QCError | None:
        """What is wrong with this answer, as the typed error to raise, or None when it is a
        usable JSON object. Returned, never raised: post() alone decides to retry or raise."""
        status = response.status_code
        refused = status != 200 or not isinstance(body, dict) or body.get("success") is not True
        errors = errors_of(body) if refused else []
        if status == 401 or is_auth_failure(errors):
            # 401 per the spec; lean-cli has met "Hash doesn't match." in a 200 and a 500,
            # so the wording counts on any refusal (and a 500 saying it is not retried).
            return AuthenticationError(auth_message(errors, self._clock_skew(response)))
        if status == 413:
            return FileTooLarge(endpoint, errors, name=_text(payload.get("name")),
                                size=_size(payload.get("content")))
        if status in RETRY_STATUSES:
            return self._server_error(endpoint, response, attempt, idempotent)
        if status >= 400:
            said = f": {'; '.join(errors)}" if errors else ""
            return TransportError(f"{endpoint}: the service answered HTTP {status} "
                                  f"{response.reason or ''}".rstrip() + said,
                                  endpoint=endpoint, status=status)
        malformed = _malformed(endpoint, response, body)
        if malformed is not None:
            return malformed
        if check_success and body.get("success") is False:
            return classify(endpoint, errors, file_name=_text(payload.get("name")),
                            file_size=_size(payload.get("content")))
        return None

    def _send(self, url: str, raw: bytes, headers=JSON_HEADERS) -> "Response | _Failed":
        """One attempt. Failures come back as values, so that what the caller raises carries no
        traceback (and no locals) of http.client's frames, where the signed headers pass."""
        try:
            with self._lock:
                self.requests_made += 1
            return self.session.request("POST", url, raw, headers, sign=self.auth)
        except wire.ConnectTimeout:
            return _Failed("connect-timeout")
        except wire.ReadTimeout:
            return _Failed("read-timeout")
        except wire.NeverSent as e:
            return _Failed("never-sent", _kind_of(e))
        except wire.ConnectionFailed as e:
            return _Failed("connection-error", _kind_of(e))
        except KeyboardInterrupt:
            return _Failed("interrupted")
        except QCError as e:
            return _Failed("ours", error=e.with_traceback(None))
        except Exception as e:  # noqa: BLE001 - its text may quote a header: keep only the type
            return _Failed("failed", type(e).__name__)

    def _may_retry(self, kind: str, idempotent: bool, attempt: int) -> bool:
        if attempt >= self.retry.attempts:
            return False
        if kind in ("connect-timeout", "never-sent"):
            return True   # never connected: the service cannot have acted, even a create may go
        return idempotent and kind in ("read-timeout", "connection-error")

    def _failure(self, endpoint: str, failed: "_Failed", idempotent: bool) -> TransportError:
        acted = not idempotent and failed.kind in ("read-timeout", "connection-error")
        hint = _may_have_acted(endpoint) if acted else ""
        host = self._host()
        if failed.kind == "connect-timeout":
            return RequestTimeout(f"{endpoint}: could not connect to {host} within "
                                  f"{self.timeouts.connect:g}s", endpoint=endpoint)
        if failed.kind == "read-timeout":
            return RequestTimeout(f"{endpoint}: no answer from {host} within "
                                  f"{self.timeouts.read:g}s.{hint}", endpoint=endpoint,
                                  may_have_acted=acted)
        if failed.kind in ("never-sent", "connection-error"):
            return TransportError(f"{endpoint}: connection to {host} failed "
                                  f"({failed.name}).{hint}", endpoint=endpoint,
                                  may_have_acted=acted)
        return TransportError(f"{endpoint}: request failed ({failed.name})", endpoint=endpoint)

    def _server_error(self, endpoint: str, response: Response, attempt: int,
                      idempotent: bool) -> TransportError:
        status = response.status_code
        said = f"{endpoint}: the service answered HTTP {status} {response.reason or ''}".rstrip()
        if not idempotent and status != 429:
            return TransportError(said + "." + _may_have_acted(endpoint), endpoint=endpoint,
                                  status=status, may_have_acted=True)
        tries = f" after {attempt} attempts" if attempt > 1 else ""
        why = (" If this persists, check the user id and API token too: QuantConnect has "
               "answered refused credentials with HTTP 500." if status == 500 else "")
        return TransportError(f"{said}{tries}; try again later.{why}", endpoint=endpoint,
                              status=status)

    def _clock_skew(self, response: Response) -> float | None:
        """How far this computer's clock is from the service's (its Date header), in seconds."""
        from email.utils import parsedate_to_datetime
        try:
            return self._clock() - parsedate_to_datetime(response.headers["Date"]).timestamp()
        except (KeyError, TypeError, ValueError, IndexError):
            return None

    def _sleep(self, endpoint: str, attempt: int, retry_after: float | None, why: str) -> None:
        delay = self.retry.delay(attempt - 1, retry_after)
        self.retries_made += 1
        log("info", "%s: %s, retrying in %.2fs (attempt %d of %d)", endpoint, why, delay,
            attempt + 1, self.retry.attempts)
        time.sleep(delay)

    def _host(self) -> str:
        return self.credentials.api_url.split("/")[2]


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _kind_of(e: wire.WireError) -> str:
    """The name of what failed (ConnectionRefusedError, gaierror...): a word, never a header."""
    text = str(e.args[0]) if e.args else type(e).__name__
    return text if text.isidentifier() else type(e).__name__


class _Failed(FrozenRecord):
    """An attempt that got no HTTP answer: what kind of failure, the exception's type name."""

    kind: str
    name: str = ""
    error: QCError | None = None

    def __init__(self, kind: str, name: str = "", error: QCError | None = None):
        self._set(kind=kind, name=name, error=error)


def _may_have_acted(endpoint: str) -> str:
    check = CREATE_CHECKS.get(endpoint, "check what exists before sending it again")
    return f" The request may still have been carried out; {check}."


def _encode(endpoint: str, payload: Mapping[str, Any]) -> bytes:
    """The JSON body, or InvalidArgument before anything is sent (NaN and infinity are not JSON)."""
    try:
        return json.dumps(payload, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, TypeError) as e:
        raise InvalidArgument(f"{endpoint}: a value cannot be sent ({e}); nothing was "
                              "sent") from None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _size(content: Any) -> int | None:
    return len(content.encode("utf-8", "surrogatepass")) if isinstance(content, str) else None


def _malformed(endpoint: str, response: Response,
               body: Any) -> MalformedResponse | None:
    """The error for an answer that is not a JSON object, or None."""
    if body is NOT_JSON:
        snippet = response.text[:80].replace("\n", " ")
        return MalformedResponse(f"{endpoint}: the service answered with something that is "
                                 f"not JSON (HTTP {response.status_code}, starts {snippet!r})",
                                 endpoint=endpoint, status=response.status_code)
    if not isinstance(body, dict):
        return MalformedResponse(f"{endpoint}: expected a JSON object, got {type(body).__name__}",
                                 endpoint=endpoint, status=response.status_code)
    return None

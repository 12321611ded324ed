"""The exceptions qc_magics raises, and the wording shared with the emulator.

Every failure a user can meet is a `QCError`; the subclasses say what kind of fix it needs
(credentials, configuration, a conflict to resolve, the service being down). Nothing here may
ever hold the API token: messages are built from ids, names and the service's own `errors`.
"""
from __future__ import annotations

from typing import Sequence


class QCError(Exception):
    """Base class of every error qc_magics raises on purpose.

    `may_have_acted` is True when a request that creates something (a project, file, compile,
    backtest or optimization) failed in a way that leaves open whether the service carried it
    out: the faces then show how to list what exists instead of advising to try again.
    """

    may_have_acted: bool = False


class ConfigError(QCError):
    """Credentials or settings are missing or invalid; the message says which and how to fix it."""


class InvalidArgument(QCError, ValueError):
    """A value given to qc_magics is not acceptable; nothing was sent or changed."""


class AuthenticationError(QCError):
    """The service refused the credentials (wrong user id or token, or a skewed clock)."""


class ApiError(QCError):
    """The service answered `success: false`; `errors` holds its messages as sent.

    >>> try:
    ...     client.read_project(1)
    ... except ApiError as e:
    ...     print(e.errors)
    """

    def __init__(self, endpoint: str, errors: Sequence[str], message: str | None = None):
        self.endpoint = endpoint
        self.errors = [str(e) for e in errors] or ["(the service gave no reason)"]
        super().__init__(message or f"{endpoint}: {'; '.join(self.errors)}")


class FileTooLarge(ApiError):
    """An upload was refused for its size (HTTP 413, or the service's size wording).

    QuantConnect caps each file by plan, notebooks included; nothing was changed.
    """

    PLAN_LIMITS = "Free 32 KB, Team 128 KB, Trading Firm and up 256 KB per file"

    def __init__(self, endpoint: str, errors: Sequence[str], *, name: str | None = None,
                 size: int | None = None):
        self.name = name
        self.size = size
        what = f"{name!r}" if name else "the upload"
        if size is not None:
            what += f" ({size / 1024:,.1f} KB)"
        said = "; ".join(str(e) for e in errors if str(e).strip())
        super().__init__(endpoint, errors or ["uploaded files exceed the allowed size limit"],
                         f"{endpoint}: {what} is larger than QuantConnect accepts for one file "
                         f"({self.PLAN_LIMITS}, notebooks included); nothing was changed. "
                         "Make it smaller (a notebook's outputs count too) or keep large data in "
                         "the Object Store." + (f" The service said: {said}" if said else ""))


class NotFoundError(ApiError):
    """The project, file, backtest or optimization named does not exist."""


class ConflictError(ApiError):
    """A write was refused because someone else holds the project (lock / write permission)."""


class TransportError(QCError):
    """The request did not get a usable answer: connection failure, HTTP error, bad JSON."""

    def __init__(self, message: str, *, endpoint: str = "", status: int | None = None,
                 may_have_acted: bool = False):
        self.endpoint = endpoint
        self.status = status
        self.may_have_acted = may_have_acted
        super().__init__(message)


class RequestTimeout(TransportError):
    """The service did not answer within the timeout."""


class MalformedResponse(TransportError):
    """The service answered with something that is not the JSON object the API promises."""


def user_text(error: BaseException) -> str:
    """What a face prints for `error`: its message without the endpoint an api error starts
    with ("/backtests/read: Backtest not found" says "Backtest not found"). The endpoint stays
    on the exception (`error.endpoint`) and in its str for logs; a user types commands, not
    endpoint paths."""
    import re
    text = str(error)
    endpoint = getattr(error, "endpoint", "") or ""
    for prefix in (f"{endpoint}: ", f"{endpoint.lstrip('/')}: "):
        if endpoint and text.startswith(prefix):
            return text[len(prefix):]
    # An error that names its endpoint only in its text (a value refused before sending).
    return re.sub(r"^/(?:projects|files|backtests|optimizations|compile|object|account|live|"
                  r"organizations|authenticate)(?:/[A-Za-z]+)*: ", "", text)


# Wording the emulator uses for its application errors. The client recognises these (and the real
# service's phrasings) to pick NotFoundError / ConflictError, so both sides read from one place.
class Wording:
    HASH_MISMATCH = "Hash doesn't match."
    UNAUTHORIZED = "Key is missing, invalid, or timestamp is too old for hash."
    STALE_TIMESTAMP = "Timestamp is too old for hash. Check the clock of the computer sending the request."
    PROJECT_NOT_FOUND = "Project not found: {project_id}"
    FILE_NOT_FOUND = "File not found: {name}"
    FILE_EXISTS = "File already exists: {name}"
    FILE_EMPTY = "File content cannot be empty: {name}"
    FILE_TOO_LARGE = ("File {name} is {size:,} characters; the maximum file size is {cap:,} "
                      "characters.")
    COMPILE_NOT_FOUND = "Compile not found: {compile_id}"
    BACKTEST_NOT_FOUND = "Backtest not found: {backtest_id}"
    OPTIMIZATION_NOT_FOUND = "Optimization not found: {optimization_id}"
    LOCKED = ("You do not have write permission to project {project_id}: it is locked for editing "
              "by another session ({holder}).")
    MISSING_FIELD = "Missing required field: {field}"
    BAD_FIELD = "Invalid value for {field}: {reason}"
    WINDOW_TOO_LARGE = "The end minus start must be less than 100 (got {start} to {end})."
    PATCH_FAILED = "The patch could not be applied: {reason}"

    # Whole phrases, matched on word boundaries: "unlocked", "blocked" or "check the clock" are
    # not conflicts. "write permission" is the real service's wording for a write while another
    # editor holds the lock; "locked for editing" is the emulator's.
    NOT_FOUND_MARKERS = ("not found", "does not exist", "doesn't exist", "no such")
    CONFLICT_MARKERS = ("write permission", "locked for editing")
    TOO_LARGE_MARKERS = ("maximum file size", "exceed the allowed size limit")


# --- jobs: compiles, backtests, optimizations, and waiting on them --------------------------------

class CompileError(QCError):
    """The project did not build; `logs` holds the compiler's lines."""

    def __init__(self, project_id: int, compile_id: str, logs: Sequence[str]):
        self.project_id = project_id
        self.compile_id = compile_id
        self.logs = list(logs)
        errors = [line for line in self.logs if "error" in line.lower()] or self.logs[-3:]
        super().__init__(f"project {project_id} failed to build:\n  " + "\n  ".join(errors))


class BacktestRuntimeError(QCError):
    """The backtest stopped with a runtime error; the backtest itself is in `backtest`."""

    def __init__(self, backtest, error: str, stacktrace: str):
        self.backtest = backtest
        self.error = error
        self.stacktrace = stacktrace
        super().__init__(f"backtest {backtest.id} stopped with a runtime error: {error}\n"
                         f"(the backtest is kept: its results so far are on this error's "
                         f".backtest)")


class CostNotConfirmed(QCError):
    """An optimization was not started because its cost was not explicitly accepted."""

    def __init__(self, estimate, reason: str):
        self.estimate = estimate
        super().__init__(f"{reason}\n{estimate}\nNothing was started or charged.")


class WaitTimeout(QCError):
    """Waiting gave up; the cloud job, if any, goes on."""


class WaitInterrupted(QCError):
    """Ctrl-C while waiting: the cloud job goes on; `handle` is it, `resume` says how to go on."""

    def __init__(self, what: str, handle, resume: str):
        self.handle = handle
        self.resume = resume
        super().__init__(f"stopped waiting for {what}; it goes on in the cloud (nothing was "
                         f"deleted or aborted). Resume with: {resume}")

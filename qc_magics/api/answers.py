"""Reading QuantConnect's JSON answers: the errors they carry, what kind of error that is, and
the payload a caller needs.

Why a module of its own: the service words its failures in several shapes (`errors`, `messages`,
`Message`; a list or a single string) and on several statuses (a 200 with `success: false`, a 500,
a 401), and every one of them must end as the same typed QCError. Classification returns the error
and never raises it, so the transport decides in one place what is raised and when.
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import (ApiError, AuthenticationError, ConflictError, FileTooLarge,
                      MalformedResponse, NotFoundError, QCError, Wording)


def errors_of(data: Any) -> list[str]:
    """The service's error messages in an answer, whichever field and shape carries them.

    >>> errors_of({"success": False, "Message": "Project not found"})
    ['Project not found']
    """
    if not isinstance(data, dict):
        return []
    for key in ("errors", "messages", "Message", "message"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return [value]
        if isinstance(value, list):
            found = [str(v) for v in value if v is not None and str(v).strip()]
            if found:
                return found
    return []


def _phrases(markers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b{re.escape(m)}\b" for m in markers), re.IGNORECASE)


_HASH = re.compile(re.escape(Wording.HASH_MISMATCH.rstrip(".")), re.IGNORECASE)
_CONFLICT = _phrases(Wording.CONFLICT_MARKERS)
_NOT_FOUND = _phrases(Wording.NOT_FOUND_MARKERS)
_TOO_LARGE = _phrases(Wording.TOO_LARGE_MARKERS)


def is_auth_failure(errors: list[str]) -> bool:
    """True when the service says the signature is wrong ("Hash doesn't match."), on any status."""
    return any(_HASH.search(e) for e in errors)


def is_conflict(errors: list[str]) -> bool:
    """True for the service's wording of a write refused because another editor holds the lock."""
    return any(_CONFLICT.search(e) for e in errors)


def classify(endpoint: str, errors: list[str], *, file_name: str | None = None,
             file_size: int | None = None) -> QCError:
    """The typed error for a refusal with these messages. Returned, never raised.

    `file_name` and `file_size` describe the upload, if the request was one, for a size refusal.
    """
    if is_auth_failure(errors):
        return AuthenticationError(auth_message(errors))
    if is_conflict(errors):
        return ConflictError(endpoint, errors,
                             f"{endpoint}: {'; '.join(errors)} Close the project in the other "
                             "editor (or wait for its lock to expire) and try again.")
    if any(_TOO_LARGE.search(e) for e in errors):
        return FileTooLarge(endpoint, errors, name=file_name, size=file_size)
    if any(_NOT_FOUND.search(e) for e in errors):
        return NotFoundError(endpoint, errors)
    return ApiError(endpoint, errors)


def auth_message(errors: list[str] | None = None, clock_skew: float | None = None) -> str:
    """Why the credentials were refused, and what to check; names the clock when it is off."""
    said = f" The service said: {'; '.join(errors)}" if errors else ""
    skew = ""
    if clock_skew is not None and abs(clock_skew) >= 300:
        ahead = "ahead of" if clock_skew > 0 else "behind"
        skew = (f" This computer's clock is about {abs(clock_skew) / 60:,.0f} minutes {ahead} the "
                "service's; the service accepts a request's timestamp only for about 2 hours.")
    return ("QuantConnect refused the credentials: check the user id and API token (see "
            "https://www.quantconnect.com/account), and that this computer's clock is right, "
            "since each request is signed with the current time." + skew + said)


def payload(data: dict, key: str, endpoint: str) -> dict[str, Any]:
    """The object under `key` in an answer; MalformedResponse when missing or not an object."""
    value = data.get(key)
    if not isinstance(value, dict):
        raise MalformedResponse(f"{endpoint}: the answer has no {key!r} object "
                                f"(got {_shape(value)})", endpoint=endpoint)
    return value


def identified(item: dict, key: str, endpoint: str) -> dict[str, Any]:
    """`item` when it carries its id under `key` as text; MalformedResponse otherwise, so that a
    new job without an id fails here and not as a KeyError where the id is first used."""
    if not isinstance(item.get(key), str) or not item[key]:
        raise MalformedResponse(f"{endpoint}: the answer has no {key}", endpoint=endpoint)
    return item


def listing(data: dict, key: str, endpoint: str) -> list[Any]:
    """The list under `key`; null reads as empty, a missing key or another type is malformed.

    Missing is not read as empty on purpose: an empty file list taken for the truth would make a
    sync believe every cloud file was deleted.
    """
    if key not in data:
        raise MalformedResponse(f"{endpoint}: the answer has no {key!r} list", endpoint=endpoint)
    value = data[key]
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedResponse(f"{endpoint}: {key!r} should be a list, got {_shape(value)}",
                                endpoint=endpoint)
    return value


def first(data: dict, key: str, endpoint: str) -> dict[str, Any]:
    """The first object of the list under `key`; MalformedResponse when there is none."""
    items = data.get(key)
    if not isinstance(items, list) or not items or not isinstance(items[0], dict):
        raise MalformedResponse(f"{endpoint}: the answer has no {key}", endpoint=endpoint)
    return items[0]


def strip_envelope(data: dict) -> dict[str, Any]:
    """The payload without the envelope (success, errors) the transport already checked."""
    return {k: v for k, v in data.items() if k not in ("success", "errors", "messages", "Message")}


def _shape(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__

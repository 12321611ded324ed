"""How each request proves who sends it: HTTP Basic with user id and sha256("{token}:{timestamp}"),
plus a `Timestamp` header.

Why this is careful about local variables: with verbose tracebacks (`%xmode Verbose`, or
`capture_locals=True`) every frame's locals are printed. The signature and the Authorization
header therefore never sit in a named local of a frame that an exception can pass through; they
exist only as temporaries of one expression, and the user id is checked (ASCII digits) before
anything is signed, so the encoding cannot fail half-way.
"""
from __future__ import annotations

import base64
import hashlib
from typing import Callable

from ..credentials import Credentials, check_user_id


def signature(api_token: str, timestamp: str) -> str:
    """The password QuantConnect expects: sha256 of "{token}:{timestamp}", hex."""
    # surrogatepass: encoding a str cannot fail, so no traceback ever starts in this frame.
    return hashlib.sha256(f"{api_token}:{timestamp}".encode("utf-8", "surrogatepass")).hexdigest()


def authorization(credentials: Credentials, timestamp: str) -> str:
    """The Authorization header value for one request signed at `timestamp`.

    One expression on purpose (the same sum as `signature`): the token, the signature and the
    header are temporaries, never a local of any frame, this one or a helper's.
    """
    return "Basic " + base64.b64encode((
        check_user_id(credentials.user_id) + ":" + hashlib.sha256(
            f"{credentials.api_token.reveal()}:{timestamp}".encode("utf-8", "surrogatepass")
        ).hexdigest()).encode("ascii")).decode("ascii")


class QCAuth:
    """A fresh signature and Timestamp header on every request (and every retry): called with
    the connection's `putheader`, it puts both, the signature as a temporary of one call."""

    def __init__(self, credentials: Credentials, clock: Callable[[], float]):
        self._credentials = credentials
        self._clock = clock

    def __call__(self, put: Callable[[str, str], None]) -> None:
        stamp = str(int(self._clock()))
        put("Timestamp", stamp)
        put("Authorization", authorization(self._credentials, stamp))

    def __repr__(self) -> str:
        return "<QC auth (hidden)>"

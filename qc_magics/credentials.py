"""Credentials as values: the user id, the token (a `Secret` that never prints itself), the
organization and the API URL, each checked when built. No file or environment is read here: finding
credentials is config's business, and api/ takes them from this module as plain values.
"""
from __future__ import annotations

import re
from urllib.parse import urlparse

from .errors import ConfigError
from .records import FrozenRecord

DEFAULT_API_URL = "https://www.quantconnect.com/api/v2"


class Secret:
    """A string that will not print itself. `reveal()` is the only way to the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        """A hint at which token this is, short enough to be useless to anyone else."""
        v = self._value
        return "*" * 8 if len(v) < 12 else f"{v[:2]}{'*' * 8}{v[-2:]}"

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self):  # pickling would be a way to leak it into files
        raise TypeError("a Secret cannot be pickled")


class Credentials(FrozenRecord):
    """Who signs the requests, and where they go; the token is never shown."""

    user_id: str
    api_token: Secret
    organization_id: str | None = None
    api_url: str = DEFAULT_API_URL
    source: str = "arguments"

    def __init__(self, user_id: str, api_token: Secret, organization_id: str | None = None,
                 api_url: str = DEFAULT_API_URL, source: str = "arguments"):
        # Set, then checked (as a dataclass's __post_init__ did): a verbose traceback of a
        # refusal shows this object's repr, which needs its fields.
        self._set(user_id=user_id, api_token=api_token, organization_id=organization_id,
                  api_url=api_url, source=source)
        check_user_id(user_id)
        if not isinstance(api_token, Secret) or not api_token:
            raise ConfigError("the API token is empty; copy it from "
                              "https://www.quantconnect.com/account")

    def __repr__(self) -> str:
        return (f"Credentials(user_id={self.user_id!r}, api_token=<hidden>, "
                f"organization_id={self.organization_id!r}, api_url={self.api_url!r}, "
                f"source={self.source!r})")


def check_user_id(user_id: str) -> str:
    """A QuantConnect user id is ASCII digits; refuse anything else before it is signed or sent.

    Why so strict: the id goes into an HTTP Basic header, and a character outside latin-1 made the
    header encoding fail deep inside requests, in frames that hold the signed password.
    """
    if not isinstance(user_id, str) or not re.fullmatch(r"[0-9]{1,20}", user_id):
        shown = user_id if isinstance(user_id, str) and len(user_id) <= 40 else "(not shown)"
        raise ConfigError(f"user id {shown!r} is not a QuantConnect user id: it is the number "
                          "shown at https://www.quantconnect.com/account (digits 0-9 only)")
    return user_id


def check_api_url(url: str) -> str:
    """Return the URL without a trailing slash, or refuse it with the reason.

    Plain http would send a replayable signature in the clear, so it is only allowed for loopback
    hosts, which is where the emulator runs.
    """
    parsed = urlparse(url.strip())
    if "@" in parsed.netloc:
        # Never echoed: the URL may hold a password, and it would show in this very message.
        raise ConfigError("the API URL holds a user name or password before '@'; remove it "
                          "(credentials go in QC_USER_ID and QC_API_TOKEN, never in the URL)")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"API URL {url!r} is not an http(s) URL; use e.g. {DEFAULT_API_URL}")
    if parsed.scheme == "http" and not _is_loopback(parsed.hostname):
        raise ConfigError(
            f"API URL {url!r} uses plain http to a non-loopback host; credentials would cross the "
            "network unencrypted. Use https, or http only to 127.0.0.1/localhost (the emulator).")
    return url.strip().rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress   # here: only a plain-http URL (the emulator) is asked about
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

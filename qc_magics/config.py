"""Where credentials and the API URL come from, and where `login` saves them.

Resolution order, first hit wins for each field:
explicit arguments > environment (QC_USER_ID, QC_API_TOKEN, QC_ORGANIZATION_ID, QC_API_URL)
> qc_magics' own config file (user config dir, mode 0600) > lean-cli's ~/.lean/credentials.
A file is read only when a field is still missing, and a file that cannot be read stops nothing
when the sources above it already gave the user id and token (it is logged, not raised).
The token lives in a `Secret`, whose repr and str never show it.
"""
from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from .errors import ConfigError

log = logging.getLogger("qc_magics.config")

DEFAULT_API_URL = "https://www.quantconnect.com/api/v2"
ENV_USER_ID = "QC_USER_ID"
ENV_API_TOKEN = "QC_API_TOKEN"
ENV_ORGANIZATION_ID = "QC_ORGANIZATION_ID"
ENV_API_URL = "QC_API_URL"
ENV_CONFIG_DIR = "QC_MAGICS_CONFIG_DIR"


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


@dataclass(frozen=True)
class Credentials:
    user_id: str
    api_token: Secret = field(repr=False)
    organization_id: str | None = None
    api_url: str = DEFAULT_API_URL
    source: str = "arguments"

    def __post_init__(self):
        check_user_id(self.user_id)
        if not isinstance(self.api_token, Secret) or not self.api_token:
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


def config_dir() -> Path:
    """qc_magics' folder in the user's config dir (XDG on Linux, Application Support, APPDATA)."""
    override = os.environ.get(ENV_CONFIG_DIR)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "qc_magics"


def config_file() -> Path:
    return config_dir() / "credentials.json"


def lean_credentials_file() -> Path:
    return Path.home() / ".lean" / "credentials"


def _read_json(path: Path) -> dict:
    # The error is raised outside the `except`, with `data` emptied: the file's text (and the
    # token in it) must not ride along in a chained exception's frames.
    problem = None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        problem, data = type(e).__name__, None
    if problem is None and not isinstance(data, dict):
        problem, data = "not a JSON object", None
    if problem is not None:
        raise ConfigError(f"cannot read credentials file {path} ({problem}); fix or delete the "
                          "file, or set QC_USER_ID and QC_API_TOKEN")
    return data


def _given(value: object) -> bool:
    """None, "" and an empty Secret mean "not given here": the next source may give it."""
    return bool(value) if isinstance(value, Secret) else value is not None and str(value) != ""


def _secret(value: object) -> Secret | None:
    """A token as a Secret as soon as it is read, so no frame's locals ever show it."""
    if value is None or isinstance(value, Secret):
        return value
    return Secret(str(value)) if str(value) else None


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
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(user_id: str | None = None, api_token: str | Secret | None = None,
            organization_id: str | None = None, api_url: str | None = None) -> Credentials:
    """Find credentials field by field, first hit wins (see module docstring).

    Raises ConfigError naming every place looked at when the user id or token is missing.
    """
    api_token = _secret(api_token)
    everything = ("user_id", "api_token", "organization_id", "api_url")
    layers = [   # (where, the fields it can give, how to read it)
        ("arguments", everything, lambda: {"user_id": user_id, "api_token": api_token,
                               "organization_id": organization_id, "api_url": api_url}),
        # os.environ is read in place, never bound to a local: its repr would show the token.
        ("environment", everything, lambda: {
            "user_id": os.environ.get(ENV_USER_ID),
            "api_token": _secret(os.environ.get(ENV_API_TOKEN)),
            "organization_id": os.environ.get(ENV_ORGANIZATION_ID),
            "api_url": os.environ.get(ENV_API_URL)}),
        (str(config_file()), everything, lambda: _file_layer(config_file(), own=True)),
        (str(lean_credentials_file()), ("user_id", "api_token"),
         lambda: _file_layer(lean_credentials_file(), own=False)),
    ]
    found: dict[str, str | Secret] = {}
    source = {}
    for name, gives, read in layers:
        if all(k in found for k in gives):
            continue                    # first hit wins: a source with nothing new is not opened
        try:
            layer = read()
        except ConfigError as e:
            if "user_id" in found and "api_token" in found:
                # Only optional fields could come from here; a broken file must not block.
                log.warning("ignored: %s", e)
                continue
            raise
        for key, value in layer.items():
            if key not in found and _given(value):
                found[key] = value if isinstance(value, Secret) else str(value)
                source[key] = name
    if "user_id" not in found or "api_token" not in found:
        missing = " and ".join(k for k in ("user_id", "api_token") if k not in found)
        raise ConfigError(
            f"no QuantConnect {missing.replace('_', ' ')} found. Set {ENV_USER_ID} and "
            f"{ENV_API_TOKEN}, run `%qc login` (or `qc-magics login`), or use lean-cli's "
            f"`lean login`. Looked in: arguments, environment, {config_file()}, "
            f"{lean_credentials_file()}.")
    return Credentials(
        user_id=found["user_id"],
        api_token=found["api_token"],
        organization_id=found.get("organization_id"),
        api_url=check_api_url(found.get("api_url", DEFAULT_API_URL)),
        source=source["api_token"],
    )


def _file_layer(path: Path, own: bool) -> dict[str, str | None]:
    data = _read_json(path)
    layer = {"user_id": data.pop("user-id", None),
             "api_token": _secret(data.pop("api-token", None))}
    if own:   # lean-cli's file holds only the id and the token
        layer.update(organization_id=data.get("organization-id"), api_url=data.get("api-url"))
    return layer


def save(credentials: Credentials) -> Path:
    """Write the credentials to qc_magics' config file, readable by the user only (0600).

    The file is created with 0600 before any byte is written and swapped in atomically.
    """
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(_file_text(credentials))   # the token is never a local of this frame
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _file_text(credentials: Credentials) -> str:
    data = {"user-id": credentials.user_id, "api-token": credentials.api_token.reveal()}
    if credentials.organization_id:
        data["organization-id"] = credentials.organization_id
    if credentials.api_url != DEFAULT_API_URL:
        data["api-url"] = credentials.api_url
    return json.dumps(data, indent=2)

"""Where credentials and the API URL come from, and where `login` saves them.

Resolution order, first hit wins for each field:
explicit arguments > environment (QC_USER_ID, QC_API_TOKEN, QC_ORGANIZATION_ID, QC_API_URL)
> qc_magics' own config file (user config dir, mode 0600) > lean-cli's ~/.lean/credentials.
A file is read only when a field is still missing, and a file that cannot be read stops nothing
when the sources above it already gave the user id and token (it is logged, not raised).
The token lives in a `Secret`, whose repr and str never show it.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The value types live beside config, free of file I/O, so api/ can take them without config;
# config re-exports them under the names it has always had.
from .credentials import (DEFAULT_API_URL, Credentials, Secret, check_api_url,  # noqa: F401
                          check_user_id)
from .errors import ConfigError

if TYPE_CHECKING:
    from .api.client import QCClient


ENV_USER_ID = "QC_USER_ID"
ENV_API_TOKEN = "QC_API_TOKEN"
ENV_ORGANIZATION_ID = "QC_ORGANIZATION_ID"
ENV_API_URL = "QC_API_URL"
ENV_CONFIG_DIR = "QC_MAGICS_CONFIG_DIR"


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
                import logging   # here: a warning is rare, and logging costs every start-up
                logging.getLogger("qc_magics.config").warning("ignored: %s", e)
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


def client(user_id: str | None = None, api_token: str | Secret | None = None,
           organization_id: str | None = None, api_url: str | None = None,
           **options: Any) -> "QCClient":
    """A QCClient with credentials found as `resolve` finds them (the values given, then the
    environment, then the saved files); `options` go to QCClient (timeouts, retry, pool_size...).
    The one place that looks for credentials: api/ only takes them as values.

    >>> client = config.client()                       # QC_USER_ID, QC_API_TOKEN, or a login
    >>> client = config.client(api_url="http://127.0.0.1:5612/api/v2", pool_size=64)
    """
    # Imported here: config sits beneath api, and `import qc_magics.config` stays free of requests.
    from .api.client import QCClient
    return QCClient(credentials=resolve(user_id=None if user_id is None else str(user_id),
                                        api_token=api_token, organization_id=organization_id,
                                        api_url=api_url), **options)


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
    import tempfile   # here: saving credentials is rare; every command imports this module
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

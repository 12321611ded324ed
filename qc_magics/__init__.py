"""qc_magics: QuantConnect from a local Jupyter.

`%load_ext qc_magics` for the magics; `qc_magics.workspace.Workspace` (or `qc_magics.config.client()` for the bare API client) in plain Python;
`qc-magics` on the command line. Importing this package touches no network and imports neither
pandas, ipywidgets nor matplotlib: each is imported where it is first needed.
"""
from __future__ import annotations

from typing import Any

from .version import __version__  # noqa: E402,F401

from .errors import (ApiError, AuthenticationError, ConfigError, ConflictError,  # noqa: E402
                     InvalidArgument, MalformedResponse, NotFoundError, QCError, RequestTimeout,
                     TransportError)

_LAZY = {
    "QCClient": ("qc_magics.api", "QCClient"),
    "ParameterRange": ("qc_magics.api", "ParameterRange"),
    "Constraint": ("qc_magics.api", "Constraint"),
    "Emulator": ("qc_magics.emulator", "Emulator"),
}

__all__ = ["QCClient", "Emulator", "ParameterRange", "Constraint", "QCError", "ApiError",
           "AuthenticationError", "ConfigError", "ConflictError", "InvalidArgument",
           "MalformedResponse", "NotFoundError", "RequestTimeout", "TransportError"]


def load_ipython_extension(ip: Any) -> None:
    """`%load_ext qc_magics`: registers %qc and %%qc. No network, no pandas."""
    from .magics import load_ipython_extension as load
    load(ip)


def unload_ipython_extension(ip: Any) -> None:
    from .magics import unload_ipython_extension as unload
    unload(ip)


def panel(project: str | None = None, folder: str = "."):
    """The widget panel, outside the magics: `qc_magics.panel("Momentum")`."""
    from .widgets import Panel
    from .workspace import Settings, Workspace
    return Panel(Workspace(Settings(project=project, folder=folder), prog="qc_magics"),
                 project=project)


def __getattr__(name: str) -> Any:
    # Lazy so that `import qc_magics` (and %load_ext) stays cheap: requests is not even imported.
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qc_magics' has no attribute {name!r}")

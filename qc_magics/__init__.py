"""qc_magics: QuantConnect from a local Jupyter.

`%load_ext qc_magics` for the magics; `from qc_magics import QCClient` for plain Python;
`qc-magics` on the command line. Importing this package touches no network and imports neither
pandas, ipywidgets nor matplotlib: each is imported where it is first needed.
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

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


def __getattr__(name: str) -> Any:
    # Lazy so that `import qc_magics` (and %load_ext) stays cheap: requests is not even imported.
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'qc_magics' has no attribute {name!r}")

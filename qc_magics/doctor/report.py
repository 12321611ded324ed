"""The doctor's report for a bug report: what each answer looked like, and nothing it said.

Field names stay (they are the service's, not the user's); every value becomes its kind
("string", "integer", ...), short strings with digits their form ("9-9-9 9:9:9", "$-9,9.9"),
so that a date or money format can be told apart without any value. Keys that are data (chart,
statistic or parameter names, child backtest ids) are kept only when they are standard names.
No token, no file content, no statistic value, no id, no project name.

>>> redacted({"statistics": {"Sharpe Ratio": "1.25", "My Stat": "3"}}, shapes.BACKTEST)
{'statistics': {'Sharpe Ratio': "string '9.9'", '*': "string '9'"}}
"""
from __future__ import annotations

import json
import os
import platform
import re
import tempfile
from pathlib import Path
from typing import Any

from ..errors import QCError
from . import shapes
from .checks import Diagnosis
from .shapes import MapOf, Obj, OneOf, Shape

# Fields whose text is the user's (code, names, messages): only their kind is told.
PRIVATE_TEXT = frozenset({"content", "report", "error", "stacktrace", "message", "name", "note",
                          "tag", "description", "backtestName", "ticker", "symbol", "value",
                          "permtick", "sourceModel", "groupId", "email", "owner"})
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,39}$")
SAMPLES = 3   # distinct item shapes kept per list


def redacted(value: Any, shape: Shape | None, key: str = "") -> Any:
    """The shape of `value` with every value and every user-chosen key taken out."""
    if isinstance(value, dict):
        return _object(value, _resolve(shape, value))
    if isinstance(value, list):
        item = shape.items if isinstance(shape, shapes.ListOf) else None
        seen: list = []
        for v in value:
            d = redacted(v, item)
            if d not in seen and len(seen) < SAMPLES:
                seen.append(d)
        return {"list of": len(value), "items": seen} if value else "[]"
    if isinstance(value, str):
        private = key in PRIVATE_TEXT or key.lower().endswith("id") or len(value) > 40
        if private or not any(ch.isdigit() for ch in value):
            return "string"
        return f"string '{shapes.form(value)}'"
    return shapes.kind(value)


def _resolve(shape: Shape | None, value: dict) -> Shape | None:
    """The object shape meant among variants (the one whose fields are there)."""
    if isinstance(shape, OneOf):
        fits = [o for o in shape.options if isinstance(o, (Obj, MapOf))]
        fits.sort(key=lambda o: -sum(k in value for k in getattr(o, "required", {})))
        return fits[0] if fits else None
    return shape


def _object(value: dict, shape: Shape | None) -> dict:
    out: dict[str, Any] = {}
    if isinstance(shape, MapOf):
        for k, v in value.items():
            label = k if k in shape.known else "*"
            if label not in out:
                out[label] = redacted(v, shape.values)
        return out
    fields = shape.fields() if isinstance(shape, Obj) else {}
    for k, v in value.items():
        # Unknown keys are kept when they look like field names, not data.
        label = k if k in fields or _IDENTIFIER.match(k) else "*"
        if label not in out:
            out[label] = redacted(v, fields.get(k), k)
    return out


def report(result: Diagnosis) -> dict[str, Any]:
    """The report as plain JSON values."""
    from ..version import __version__
    host = result.api_url.split("/")[2] if "//" in result.api_url else ""
    return {
        "qc_magics": __version__, "python": platform.python_version(),
        "service": host if host.endswith("quantconnect.com") else "another host",
        "summary": {"passed": result.count("ok"), "failed": result.count("fail"),
                    "skipped": result.count("skip")},
        "checks": [{"check": c.name, "status": c.status,
                    **({"problems": c.problems} if c.problems else {}),
                    **({"reason": c.reason} if c.reason else {}),
                    **({"answer": redacted(c.answer, c.shape)} if c.answer is not None else {})}
                   for c in result.checks],
    }


def write_report(result: Diagnosis, path: str | os.PathLike) -> Path:
    """Write the report as JSON (atomically: a temp file, then a rename); returns the path."""
    target = Path(path).expanduser()
    text = json.dumps(report(result), indent=2, ensure_ascii=False) + "\n"
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    except OSError as e:
        raise QCError(f"cannot write the report to {target}: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, target)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise QCError(f"cannot write the report to {target}: {e.strerror or e}") from None
    return target

"""One progress bar for long work: tqdm.auto (a widget in notebooks, text in terminals), or none.

`mode` is "auto" (tqdm.auto), "text" (plain tqdm, also in notebooks) or "none". Where output is
neither a terminal nor a notebook (a log file, a pipe, CI), "auto" writes one line when the work
starts and one when it ends, never carriage-return frames that fill a log with half-drawn bars.
"""
from __future__ import annotations

import sys
from typing import Any

MODES = ("auto", "text", "none")


class _Silent:
    n = 0
    total = None

    def update(self, n: float = 1) -> None:
        self.n += n

    def set_description(self, *a: Any, **k: Any) -> None:
        pass

    def set_postfix_str(self, *a: Any, **k: Any) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> "_Silent":
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


class _Lines(_Silent):
    """A start line and a done line on stderr, for output that is not a terminal."""

    def __init__(self, total: float | None, desc: str, unit: str):
        self.total, self.desc, self.unit = total, desc, unit
        countable = total and unit.isalpha()   # "2 files", but not "100 %"
        of = f" ({total:g} {unit}{'s' if total != 1 else ''})" if countable else ""
        print(f"{desc}: started{of}", file=sys.stderr, flush=True)
        self._said = ""

    def set_postfix_str(self, text: str = "", *a: Any, **k: Any) -> None:
        if text and text != self._said and self.desc is not None:   # a new phase: one line
            print(f"{self.desc}: {text}", file=sys.stderr, flush=True)
            self._said = text

    def close(self) -> None:
        if self.desc is not None:
            print(f"{self.desc}: done", file=sys.stderr, flush=True)
            self.desc = None


def _in_notebook() -> bool:
    ip = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return ip is not None and "IPKernelApp" in getattr(ip, "config", {})


def bar(total: float | None, desc: str, mode: str = "auto", unit: str = "it"):
    if mode not in MODES:
        raise ValueError(f"progress must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "none":
        return _Silent()
    if mode == "auto" and not _in_notebook() and not _isatty(sys.stderr):
        return _Lines(total, desc, unit)
    if mode == "text":
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):   # replaced or closed streams
        return False

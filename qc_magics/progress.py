"""One progress bar for long work: tqdm.auto (a widget in notebooks, text in terminals), or none.

`mode` is "auto" (tqdm.auto), "text" (plain tqdm, also in notebooks) or "none". Where output is
neither a terminal nor a notebook (a log file, a pipe, CI), "auto" writes one line when the work
starts and one when it ends, never carriage-return frames that fill a log with half-drawn bars.
In a notebook the widget bar is there only while the work runs: when it ends, one line of text
takes its place (its display is updated), so a saved and reopened notebook reads "backtest x:
100% in 00:03 (Completed.)" instead of "Error displaying widget: model not found".
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
        from tqdm.notebook import tqdm as notebook_tqdm
        if issubclass(tqdm, notebook_tqdm):   # tqdm.auto chose the widget
            return _notebook_bar(total=total, desc=desc, unit=unit)
    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)


def summary(desc: str, n: float, total: float | None, unit: str, elapsed: float,
            postfix: str = "") -> str:
    """One line for a finished (or stopped) bar: "push: 3/3 files in 00:02", "backtest b: 100%
    in 00:03 (Completed.)", "backtest b: stopped at 40% after 00:10"."""
    from tqdm import tqdm
    plural = "" if (total or n) == 1 else "s"
    done = (f"{n:g}%" if unit == "%" else f"{n:g}/{total:g} {unit}{plural}" if total
            else f"{n:g} {unit}{plural}" if unit != "it" else "")
    took = tqdm.format_interval(elapsed)
    stopped = bool(total) and n < total
    line = (f"{desc}: stopped at {done} after {took}" if stopped
            else f"{desc}: {done + ' in ' if done else 'done in '}{took}")
    postfix = postfix.strip(" ,")
    if not stopped and postfix.endswith("ing"):   # "downloading": a phase, over once it ended
        postfix = ""
    return line + (f" ({postfix})" if postfix else "")


def _notebook_bar(**kwargs: Any):
    from IPython.display import display
    from tqdm.notebook import tqdm as notebook_tqdm

    class NotebookBar(notebook_tqdm):
        """tqdm's widget while the work runs; its summary line, as text, once it ends."""

        def __init__(self, **kw: Any):
            super().__init__(leave=False, dynamic_ncols=True, display=False, **kw)
            self._handle = None
            if not self.disable:
                self._handle = display(self.container, display_id=True)
                self.displayed = True

        def close(self) -> None:
            handle, self._handle = self._handle, None
            if handle is None:
                return super().close()
            d = self.format_dict
            line = summary(self.desc.rstrip(": "), self.n, self.total, self.unit,
                           d.get("elapsed", 0.0), d.get("postfix") or "")
            super().close()
            self.container.close()   # stopped early, tqdm keeps its red bar: no widget stays
            handle.update({"text/plain": line}, raw=True)

    return NotebookBar(**kwargs)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):   # replaced or closed streams
        return False

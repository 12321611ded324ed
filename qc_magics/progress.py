"""One progress bar for long work: tqdm.auto (a widget in notebooks, text in terminals), or none.

`mode` is "auto" (tqdm.auto), "text" (plain tqdm, also in notebooks) or "none".
"""
from __future__ import annotations

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


def bar(total: float | None, desc: str, mode: str = "auto", unit: str = "it"):
    if mode not in MODES:
        raise ValueError(f"progress must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "none":
        return _Silent()
    if mode == "text":
        from tqdm import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm(total=total, desc=desc, unit=unit, leave=False, dynamic_ncols=True)

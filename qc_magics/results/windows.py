"""Read a backtest's orders or insights: windows of fewer than 100, many in flight at once.

The API serves them `end - start < 100` at a time and says how many there are (`length`). The
first window can come back empty while the service loads them into its cache, so that one is
retried; the rest go out together over a bounded pool and are put back in order.
"""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from ..errors import WaitTimeout

WINDOW = 99   # end - start must be *less than* 100


def read_all(fetch: Callable[[int, int], dict], key: str, *, expected: int | None,
             concurrency: int = 8, loading_timeout: float = 60.0,
             poll: tuple[float, float] = (0.25, 2.0)) -> list[dict]:
    """Every item, in order. `fetch(start, end)` returns {key: [...], "length": n}.

    `expected` is how many there should be when known (the statistics say how many orders): an
    empty first window is then "still loading" unless 0 are expected. With `expected` None, an
    empty first window is retried until `loading_timeout` passes.
    """
    deadline = time.monotonic() + loading_timeout
    delay = poll[0]
    while True:
        first = fetch(0, WINDOW)
        items, length = list(first.get(key) or []), int(first.get("length") or 0)
        if items or length or expected == 0:
            break
        if time.monotonic() > deadline:
            if expected is None:
                return []
            raise WaitTimeout(f"the service kept answering no {key} for {loading_timeout:g}s "
                              f"although {expected} are expected; try again later")
        time.sleep(delay)
        delay = min(poll[1], delay * 1.6)
    starts = list(range(WINDOW, length, WINDOW))
    if starts:
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(starts))),
                                thread_name_prefix=f"qc-{key}") as pool:
            for page in pool.map(lambda s: fetch(s, min(s + WINDOW, length)).get(key) or [],
                                 starts):
                items.extend(page)
    # Whatever the service's idea of `end` (exclusive or inclusive), each item appears once.
    seen: set = set()
    unique = []
    for item in items:
        ident = item.get("id")
        if ident is None or ident not in seen:
            seen.add(ident)
            unique.append(item)
    return unique

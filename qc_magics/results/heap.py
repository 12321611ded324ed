"""The cyclic garbage collector held off while many results are read into memory.

Reading 100,000 orders keeps 100,000 dicts (each with nested events) alive and creates them at a
pace that triggers CPython's collector again and again; each full pass walks every object made so
far, so the passes cost more as the read goes on: 1.6 s of the 3.5 s of CPU that the 1,000
windows took, measured (benchmarks/results.py). Nothing read here forms a cycle, so the passes
find nothing to free. Held off for the read, the collector runs as usual afterwards, and any
cyclic garbage made meanwhile (by other threads too: the switch is process-wide) is collected
then.

>>> with gc_paused():
...     items = read_many_windows()
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_holders = 0          # reads in progress (threads may read at once)
_was_enabled = False  # whether the collector was on when the first of them began


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold the cyclic collector off inside the block; nested and concurrent blocks share one
    pause, and the collector is switched back on only if it was on before the first began."""
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()

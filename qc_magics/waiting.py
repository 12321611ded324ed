"""Waiting well: polling on a backoff schedule, and a thread pool that stops cleanly on Ctrl-C."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from .errors import WaitTimeout

T = TypeVar("T")
GROWTH = 1.6   # each wait is this many times the last, up to the cap


def poll_until(check: Callable[[], T], *, poll: tuple[float, float], timeout: float | None,
               what: str, on_tick: Callable[[], None] = lambda: None) -> T:
    """Call `check` until it returns something truthy, and return that. Waits start at poll[0]
    seconds and grow to poll[1]; past `timeout` seconds, WaitTimeout names `what`."""
    started = time.monotonic()
    delay = poll[0]
    while True:
        value = check()
        if value:
            return value
        if timeout is not None and time.monotonic() - started > timeout:
            raise WaitTimeout(f"{what} did not finish within {timeout:g}s; it goes on in the cloud")
        on_tick()
        time.sleep(delay)
        delay = min(poll[1], delay * GROWTH)


@contextmanager
def bounded_pool(workers: int, name: str) -> Iterator[ThreadPoolExecutor]:
    """A pool of at most `workers` threads; on Ctrl-C or an error, queued work is dropped and
    running work finishes, so nothing is left half-done in the background."""
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)

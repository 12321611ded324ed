"""Waiting well: polling on a backoff schedule, and a thread pool that stops cleanly on Ctrl-C."""
from __future__ import annotations

import numbers
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from .errors import InvalidArgument, WaitTimeout
from .vocabulary import CONCURRENCY  # noqa: F401 (the pools' default, named where they are)

T = TypeVar("T")
GROWTH = 1.6   # each wait is this many times the last, up to the cap
MIN_POLL = 0.01          # below this a wait is a busy loop that floods the service
MAX_WAIT = 7 * 86_400.0  # a week: longer is a typo (and time.sleep overflows on huge values)


def check_waiting(poll: tuple[float, float], timeout: float | None) -> None:
    """Refuse a schedule that would never end, never sleep, or fail halfway. Callers check
    before their first request, so a bad value never leaves a job half-started."""
    try:
        first, cap = poll
    except (TypeError, ValueError):
        first = cap = None
    # Numbers only: "1" or True would pass float() here and fail later, half-way through a wait.
    if not all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in (first, cap)):
        raise InvalidArgument(f"poll is (first wait, longest wait) in seconds, not {poll!r}")
    if not (MIN_POLL <= first <= MAX_WAIT and first <= cap <= MAX_WAIT):
        raise InvalidArgument(f"poll waits must be between {MIN_POLL:g} and {MAX_WAIT:g} "
                              f"seconds, the first no longer than the last, not {poll!r}")
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) \
                or not 0 <= timeout <= MAX_WAIT:   # nan fails every comparison
            raise InvalidArgument(f"timeout must be 0 (check once) to {MAX_WAIT:g} seconds, or "
                                  f"None (wait as long as it takes), not {timeout!r}")


def poll_until(check: Callable[[], T], *, poll: tuple[float, float], timeout: float | None,
               what: str, on_tick: Callable[[], None] = lambda: None) -> T:
    """Call `check` until it returns something truthy, and return that. Waits start at poll[0]
    seconds and grow to poll[1]; past `timeout` seconds, WaitTimeout names `what`. A timeout of 0
    checks once and does not wait."""
    check_waiting(poll, timeout)
    started = time.monotonic()
    delay = poll[0]
    while True:
        value = check()
        if value:
            return value
        if timeout is not None and time.monotonic() - started >= timeout:
            within = f"within {timeout:g}s" if timeout else "yet (checked once)"
            raise WaitTimeout(f"{what} did not finish {within}; it goes on in the cloud")
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

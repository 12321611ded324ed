"""Waiting well: polling on a backoff schedule, and a thread pool that stops cleanly on Ctrl-C."""
from __future__ import annotations

import numbers
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Iterator, TypeVar

from .errors import InvalidArgument, WaitTimeout
from .vocabulary import CONCURRENCY  # noqa: F401 (the pools' default, named where they are)

if TYPE_CHECKING:   # imported by bounded_pool when a pool is made: concurrent.futures loads
    from concurrent.futures import ThreadPoolExecutor   # logging, a start-up cost for status

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
    from concurrent.futures import ThreadPoolExecutor
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix=name)
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)


class Meanwhile:
    """`fn()` run on a thread of its own while the caller does something else; `result()` waits
    for it and returns its value or raises what it raised. For one request whose wait on the
    network can overlap local work (status reads the cloud while it scans the folder): a pool
    would import concurrent.futures, and with it logging, for a single call.

    >>> cloud = Meanwhile(lambda: client.read_files(pid))
    >>> local = scan(folder)            # runs while the request is in flight
    >>> files = cloud.result()
    """

    def __init__(self, fn: Callable[[], T]):
        import threading
        self._value: Any = None
        self._error: BaseException | None = None

        def run() -> None:
            try:
                self._value = fn()
            except BaseException as e:   # handed to the caller, whatever it is
                self._error = e

        # A daemon: Ctrl-C in the caller ends the process without waiting for the answer.
        self._thread = threading.Thread(target=run, name="qc-meanwhile", daemon=True)
        self._thread.start()

    def result(self) -> Any:
        self._thread.join()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value

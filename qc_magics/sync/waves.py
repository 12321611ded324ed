"""Many files over an adaptive pool: waves that grow while answers stay fast, shrink on 429/5xx.

A small fixed pool leaves most of a fast link idle on a push of 190 files; a large fixed pool
floods a service that is already throttling. So work goes out in waves: the first holds `start`
files (the `concurrency` setting, 16 by default); a wave with no retry (429, 5xx, dropped
connection: the transport counts them) and answers about as fast as the fastest wave seen makes
the next one GROWTH (4) times as large, up to `ceiling`; a wave that needed retries halves it.
Each wave waits for its slowest file, so the number of waves is what a push of many files pays in
round trips: 190 files go in 4 waves (16, 64, 64, 46); from 8, doubling, it took 6. Per-file
safety is unchanged: each file's task is whole (read, decide, send).
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

from ..waiting import bounded_pool

T = TypeVar("T")
SLOW = 2.0   # a wave whose median answer is this many times the fastest one's does not grow
GROWTH = 4   # how much a clean, fast wave grows the next one


class Waves:
    """Run `task` over items in adaptive waves; `sizes` keeps each wave's size (tests,
    benchmarks)."""

    def __init__(self, start: int, ceiling: int, retries: Callable[[], int]):
        self.size = max(1, start)
        self.ceiling = max(self.size, ceiling)
        self.retries = retries
        self.sizes: list[int] = []
        self._fastest: float | None = None

    def run(self, items: Iterable[T], task: Callable[[T], object], name: str,
            before: Callable[[list[T]], None] = lambda wave: None
            ) -> Iterator[tuple[T, Future]]:
        """Yield (item, finished future) as each wave completes, in the order of the wave.
        `before(wave)` runs ahead of each wave (a read the wave's tasks share)."""
        todo = list(items)
        if not todo:
            return
        with bounded_pool(min(self.ceiling, len(todo)), name) as pool:
            _start_threads(pool, min(self.ceiling, len(todo)))
            while todo:
                wave, todo = todo[:self.size], todo[self.size:]
                self.sizes.append(len(wave))
                retried = self.retries()
                before(wave)
                durations: list[float] = []   # list.append is atomic: threads share it

                def timed(item: T) -> object:
                    started = time.monotonic()
                    try:
                        return task(item)
                    finally:
                        durations.append(time.monotonic() - started)

                futures = [pool.submit(timed, item) for item in wave]
                for item, future in zip(wave, futures):
                    future.exception()   # waits; the caller reads the outcome
                    yield item, future
                self._adapt(self.retries() - retried, durations)

    def _adapt(self, retried: int, durations: list[float]) -> None:
        if retried:
            self.size = max(1, self.size // 2)
            return
        if not durations:
            return
        median = sorted(durations)[len(durations) // 2]
        if self._fastest is None or median < self._fastest:
            self._fastest = median
        if median <= SLOW * self._fastest:
            self.size = min(self.ceiling, self.size * GROWTH)


def _start_threads(pool: ThreadPoolExecutor, n: int) -> None:
    """Start the pool's n threads now, while nothing else runs. The pool would start them one
    per task as a wave grows, each start waiting for the interpreter lock that busy workers
    hold: 20 ms a thread was measured on 2 cores, most of a push's time at 64 threads."""
    ready = threading.Barrier(n + 1, timeout=30)
    try:
        for _ in range(n):
            pool.submit(ready.wait)   # each holds a thread until all are there: n started
        ready.wait()
    except BaseException:
        ready.abort()   # no thread is left waiting for the others (the pool's shutdown joins)
        raise

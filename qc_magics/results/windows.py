"""Read a backtest's orders or insights: windows of up to 100, many in flight at once.

The service serves them `end - start <= 100` at a time (the spec's "less than 100" is wrong: 100 is
accepted, 200 refused) and says how many there are (`length`), so 100,000 orders take 1,000
requests. Whether `end` is inclusive is not known, nor whether start/end count positions or order
ids, so consecutive windows share their boundary ([0,100], [100,200], ...): under every reading
nothing falls between two windows, and what two windows both hold is kept once (by id). If the
count still falls short of `length` (ids counted from 1 with an exclusive end leave the last one
out), the reader asks one window further. The first window can come back empty while the service
loads the results into its cache, so that one is retried; the rest go out together over a
bounded pool and are put back in order.
"""
from __future__ import annotations

import time
from itertools import repeat
from operator import attrgetter
from typing import Callable, Iterable

from ..errors import ApiError, InvalidArgument, NotFoundError, WaitTimeout
from ..waiting import CONCURRENCY, bounded_pool
from .heap import gc_paused

# Reads windows, handing each answer to `each` in order: fetch_many(windows, concurrency, each).
FetchMany = Callable[[list[tuple[int, int]], int, Callable[[dict], None]], None]

WINDOW = 100          # end - start the service accepts
NARROW_WINDOW = 99    # what a client or service holding to the spec's "< 100" accepts


_ID = attrgetter("id")


class _Stitched:
    """Items in the order their pages are added, each id once (items without an id all kept).
    Items are dicts, or rows with their fields as attributes (order_rows.py), a page of one kind."""

    def __init__(self) -> None:
        self.items: list = []
        self._seen: set = set()

    def add(self, page: list) -> list:
        """Add a page; return its items that were new."""
        kind = type(page[0]) if page else dict
        if all(type(item) is kind for item in page):
            ids = list(map(dict.get, page, repeat("id"))) if kind is dict else \
                list(map(_ID, page)) if hasattr(kind, "__struct_fields__") else None
            if ids is not None and None not in ids and len(set(ids)) == len(ids) \
                    and self._seen.isdisjoint(ids):
                # The usual page: ids all new, none repeated. Added whole, the loops in C.
                self._seen.update(ids)
                self.items.extend(page)
                return page
        new = []
        for item in page:
            ident = item.get("id") if type(item) is dict else getattr(item, "id", None)
            if ident is None or ident not in self._seen:
                self._seen.add(ident)
                new.append(item)
        self.items.extend(new)
        return new


def stitch(pages: Iterable[list]) -> list:
    """The items of pages read in this order, each id once: what read_all returned for them.

    >>> stitch([[{"id": 1}, {"id": 2}], [{"id": 2}, {"id": 3}]])
    [{'id': 1}, {'id': 2}, {'id': 3}]
    """
    stitched = _Stitched()
    for page in pages:
        stitched.add(page)
    return stitched.items


def read_all(fetch: Callable[[int, int], dict], key: str, *, expected: int | None,
             concurrency: int = CONCURRENCY, loading_timeout: float = 60.0,
             poll: tuple[float, float] = (0.25, 2.0), width: int = WINDOW,
             on_items: Callable[[list[dict]], None] | None = None,
             fetch_many: FetchMany | None = None) -> list[dict]:
    """Every item, in order. `fetch(start, end)` returns {key: [...], "length": n}.

    `expected` is how many there should be when known (the statistics say how many orders): an
    empty first window is then "still loading" unless 0 are expected. With `expected` None, an
    empty first window is retried until `loading_timeout` passes. `on_items` is handed the new
    items of each window in order, as they arrive (a frame built while the rest is read).
    `fetch_many(windows, concurrency, each)`, when given, reads the windows after the first
    instead of `fetch` over a pool of threads, handing each answer (as `fetch` would give it)
    to `each`, in order.
    """
    on_items = on_items or (lambda items: None)
    deadline = time.monotonic() + loading_timeout
    delay = poll[0]
    while True:
        try:
            first = fetch(0, width)
        except (InvalidArgument, ApiError) as e:
            # An api layer or a service that holds to the spec refuses 100: use 99 then.
            if width <= NARROW_WINDOW or isinstance(e, NotFoundError):
                raise
            width = NARROW_WINDOW
            continue
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
    with gc_paused():   # the many items read are kept: see heap.py (not while it loads)
        return _read_rest(fetch, key, first, items, length, width, concurrency, on_items,
                          fetch_many)


def _read_rest(fetch: Callable[[int, int], dict], key: str, first: dict, items: list[dict],
               length: int, width: int, concurrency: int,
               on_items: Callable[[list[dict]], None],
               fetch_many: FetchMany | None) -> list[dict]:
    """The windows after the first, `concurrency` at a time, stitched in order."""
    stitched = _Stitched()
    on_items(stitched.add(items))
    starts = list(range(width, length, width))
    if starts and fetch_many is not None:
        fetch_many([(s, s + width) for s in starts], concurrency,
                   lambda answer: on_items(stitched.add(answer.get(key) or [])))
    elif starts:
        with bounded_pool(min(concurrency, len(starts)), f"qc-{key}") as pool:
            for page in pool.map(lambda s: fetch(s, s + width).get(key) or [], starts):
                on_items(stitched.add(page))
    # Short of `length`: the reading of start/end left the tail out; ask further until it is in
    # or the service has nothing more (bounded: never more windows than there are items). An
    # answer without `length` is paged the same way, until a window brings nothing new.
    counted = first.get("length") is not None
    start = (starts[-1] if starts else 0) + width
    while (len(stitched.items) < length and start <= length + width) or not counted:
        new = stitched.add(fetch(start, start + width).get(key) or [])
        if not new:
            break
        on_items(new)
        start += width
    return stitched.items

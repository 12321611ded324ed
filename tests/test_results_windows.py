"""Orders and insights in windows of up to 100, stitched by id, against fake servers that read
`start`/`end` every way the real service might (its end is not known to be in- or exclusive)."""
from __future__ import annotations

import threading

import pytest

from qc_magics.errors import InvalidArgument
from qc_magics.results.windows import read_all


class FakeWindows:
    """Serves `n` items with ids 1..n. `inclusive`: whether `end` is in the window; `by_id`:
    whether start/end count order ids rather than positions; `max_width`: the widest window it
    takes; `loading`: how many first answers are empty while it "loads"."""

    def __init__(self, n: int, *, inclusive: bool, by_id: bool = False, max_width: int = 100,
                 loading: int = 0, key: str = "orders", string_ids: bool = False):
        self.n, self.inclusive, self.by_id, self.max_width = n, inclusive, by_id, max_width
        self.loading, self.key, self.string_ids = loading, key, string_ids
        self.calls: list[tuple[int, int]] = []
        self.lock = threading.Lock()

    def __call__(self, start: int, end: int) -> dict:
        with self.lock:
            self.calls.append((start, end))
            if self.loading:
                self.loading -= 1
                return {self.key: [], "length": 0}
        if end - start > self.max_width:
            raise InvalidArgument(f"end - start must be at most {self.max_width}")
        stop = end + 1 if self.inclusive else end
        if self.by_id:
            ids = range(max(start, 1), min(stop, self.n + 1))
        else:
            ids = range(start + 1, min(stop, self.n) + 1)
        return {self.key: [{"id": f"i{i:06d}" if self.string_ids else i, "n": i} for i in ids],
                "length": self.n}


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
@pytest.mark.parametrize("by_id", [False, True], ids=["positions", "ids"])
@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 250, 1000])
@pytest.mark.parametrize("many", [False, True], ids=["threads", "fetch_many"])
def test_every_item_once_in_order_whatever_end_means(n, inclusive, by_id, many):
    server = FakeWindows(n, inclusive=inclusive, by_id=by_id)
    asked = []

    def fetch_many(windows, concurrency, each):   # as the api's windows readers: in order
        asked.append((windows, concurrency))
        for start, end in windows:
            each(server(start, end))
    items = read_all(server, "orders", expected=n, concurrency=4, poll=(0.01, 0.01),
                     fetch_many=fetch_many if many else None)
    if many and n > 101:
        assert asked[0][0][0] == (100, 200) and asked[0][1] == 4
    assert [o["id"] for o in items] == list(range(1, n + 1))
    assert all(end - start <= 100 for start, end in server.calls)
    # Ids from 1 with an exclusive end leave the last one out of the planned windows: one more.
    planned = max(1, -(-n // 100))
    assert len(server.calls) <= planned + 1


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
def test_100000_orders_take_1000_requests(inclusive):
    server = FakeWindows(100_000, inclusive=inclusive)
    items = read_all(server, "orders", expected=100_000, concurrency=8)
    assert len(items) == 100_000 and items[-1]["id"] == 100_000
    assert len({o["id"] for o in items}) == 100_000
    assert len(server.calls) == 1000
    assert sorted(server.calls)[:2] == [(0, 100), (100, 200)]
    assert max(server.calls) == (99_900, 100_000)


def test_insights_with_string_ids_keep_the_service_order():
    server = FakeWindows(250, inclusive=True, key="insights", string_ids=True)
    items = read_all(server, "insights", expected=None, concurrency=3)
    assert [i["n"] for i in items] == list(range(1, 251))


def test_a_server_holding_to_less_than_100_gets_windows_of_99():
    server = FakeWindows(250, inclusive=False, max_width=99)
    items = read_all(server, "orders", expected=250)
    assert [o["id"] for o in items] == list(range(1, 251))
    assert server.calls[0] == (0, 100) and all(e - s == 99 for s, e in server.calls[1:])


def test_an_empty_first_window_is_waited_out_while_loading():
    server = FakeWindows(150, inclusive=False, loading=3)
    items = read_all(server, "orders", expected=150, poll=(0.01, 0.02))
    assert len(items) == 150 and server.calls[:3] == [(0, 100)] * 3


def test_none_expected_and_none_there_is_one_request():
    server = FakeWindows(0, inclusive=False)
    assert read_all(server, "orders", expected=0) == [] and server.calls == [(0, 100)]


def test_an_answer_without_length_is_paged_until_nothing_new():
    server = FakeWindows(250, inclusive=True)

    def no_length(start, end):
        answer = server(start, end)
        del answer["length"]
        return answer

    items = read_all(no_length, "orders", expected=None)
    assert [o["id"] for o in items] == list(range(1, 251))
    assert server.calls == [(0, 100), (100, 200), (200, 300), (300, 400)]


def test_the_emulators_encoded_orders_are_the_json_of_its_orders():
    """Windows of orders are written as JSON straight from the book's rows (and kept): the same
    bytes json.dumps makes of the order dicts, for every kind of order and event."""
    import json
    from qc_magics.emulator.orders import OrderBook
    from qc_magics.emulator.synthetic import Synthetic
    book = OrderBook(Synthetic(7, {}, n_orders=2_500, algorithm_id='a"b\\c'))
    for start in range(0, 2_600, 100):
        expected = json.dumps(book.window(start, start + 100), separators=(",", ":")).encode()
        assert book.encoded(start, start + 100) == expected
        assert book.encoded(start, start + 100) == expected   # from the cache


@pytest.mark.parametrize("inclusive", [False, True], ids=["exclusive", "inclusive"])
@pytest.mark.parametrize("by_id", [False, True], ids=["positions", "ids"])
@pytest.mark.parametrize("n", [0, 1, 100, 101, 250])
def test_on_items_gets_every_item_once_in_order_as_windows_arrive(n, inclusive, by_id):
    """What the orders frame is built from while the read goes on: each window's new items,
    in order, the windows' shared boundaries once; the same items read_all returns."""
    handed: list[list[dict]] = []
    items = read_all(FakeWindows(n, inclusive=inclusive, by_id=by_id), "orders", expected=n,
                     concurrency=4, poll=(0.01, 0.01), on_items=handed.append)
    assert [o["id"] for page in handed for o in page] == [o["id"] for o in items] \
        == list(range(1, n + 1))


def test_the_collector_is_held_off_during_a_read_and_back_on_after():
    import gc
    seen = []
    server = FakeWindows(300, inclusive=False)
    read_all(lambda s, e: seen.append(gc.isenabled()) or server(s, e), "orders",
             expected=300, concurrency=4)
    # On while the first window is asked for (it may wait out a loading result), then off.
    assert seen[0] and len(seen) > 1 and not any(seen[1:]) and gc.isenabled()
    gc.disable()   # off before: stays off after
    try:
        read_all(server, "orders", expected=300)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_failed_read_turns_the_collector_back_on():
    import gc

    def fails(start, end):
        raise RuntimeError("the network went away")
    with pytest.raises(RuntimeError):
        read_all(fails, "orders", expected=10)
    assert gc.isenabled()


def test_concurrent_reads_share_one_pause():
    import gc
    from qc_magics.results.heap import gc_paused
    outer_done = threading.Event()
    inner_started = threading.Event()

    def inner():
        with gc_paused():
            inner_started.set()
            outer_done.wait(5)
            assert not gc.isenabled()   # the other read ended first: still held off here
    t = threading.Thread(target=inner)
    with gc_paused():
        t.start()
        inner_started.wait(5)
    outer_done.set()
    t.join(5)
    assert gc.isenabled()

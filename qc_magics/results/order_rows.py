"""Windows of orders read straight into the fields the orders frame uses, when msgspec is there.

A backtest's 100,000 orders come as 1,000 answers of ~140 KB. Parsed into dicts, every field of
every order and event becomes a Python object: 500 MB for 100,000 orders, and the larger part of
the CPU a read takes, though the frame reads 16 fields of an order and 2 numbers of each event.
With msgspec (in the `fast` extra, beside orjson) an answer is decoded into small rows holding
just those fields; the rest is checked as JSON and skipped without being built. Measured on
1,000 such answers: decoding and gathering the columns took 0.6-0.75 s, against 1.2-1.7 s for
orjson's dicts and the same gathering, and the collector's pass over the dicts kept (0.2-0.3 s)
and their memory went with them.

Only an answer of the usual kind is read this way: HTTP 200 in UTF-8, `success` true, `orders` a
list of objects whose `events` are lists of objects. Anything else (an error, JSON only Python's
parser reads, such as NaN or a lone surrogate, another shape) is left to the general reading, so
every value is what it always was. The rows hold each field's JSON value as it is, whatever its
type: frames.py reads them as it reads dicts.

The answer's bytes are kept (140 MB for 100,000 orders): `order_events` reads every field of every
event, and parses them when it is asked for, not before.

>>> decode = decoder()   # None without msgspec
>>> client.read_backtest_orders(project_id, backtest_id, 0, 100, decode=decode)
{'orders': [OrderRow(id=1, time='2020-01-02T14:31:00Z', ...)], 'length': 100000, 'source': b'...'}
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from .frames import EVENT_SUMS, ORDER_FIELDS, _spellings
from .windows import read_all, stitch

SOURCE = "source"   # the key under which a decoded answer's bytes come back
QUICK = True        # False: every answer goes to the general JSON reading (benchmarks, tests)


@lru_cache(maxsize=1)
def _reader() -> tuple[Callable[[bytes], Any], type] | None:
    """msgspec's decoder of an orders answer and the error it raises, or None without msgspec."""
    try:
        import msgspec
    except ImportError:
        return None
    from typing import Optional

    # Every spelling frames._sums reads an event's numbers in; a JSON name's "-" is "_" here.
    names = [name for key in EVENT_SUMS for name in _spellings(key)]
    event = msgspec.defstruct(
        "OrderEventRow", [(n.replace("-", "_"), Any, None) for n in names],
        rename={n.replace("-", "_"): n for n in names}, gc=False)
    # gc=False: rows are never in a reference cycle (JSON values hold no references back), so
    # the cyclic collector need not track 100,000 of them.
    order = msgspec.defstruct(
        "OrderRow", [(key, Any, None) for key in ORDER_FIELDS]
        + [("events", Optional[list[event]], None)], gc=False)
    answer = msgspec.defstruct(
        "OrdersAnswer", [("orders", list[order], []), ("length", Any, None),
                         ("success", Any, None)], gc=False)
    return msgspec.json.Decoder(answer).decode, msgspec.MsgspecError


def decoder() -> Callable[[bytes], dict | None] | None:
    """The quick reading of an answer of /backtests/orders/read, for Transport.post's `decode`;
    None when msgspec is not installed (or QUICK is off): answers are then read as dicts."""
    reader = _reader() if QUICK else None
    if reader is None:
        return None
    decode, failure = reader

    def quick(content: bytes) -> dict | None:
        try:
            answer = decode(content)
        except (failure, ValueError):   # also bytes that are not UTF-8 (UnicodeDecodeError)
            return None
        if answer.success is not True:
            return None
        return {"orders": answer.orders, "length": answer.length, SOURCE: content}
    return quick


def as_dicts(pages: list[bytes | list[dict]]) -> list[dict]:
    """Every order as a dict, from the windows of a read in their order: an answer's bytes
    (parsed as the transport parses an orders answer) or the dicts already parsed."""
    from ..api.decoding import FLOAT_ANSWERS, parse_json
    exact = "/backtests/orders/read" not in FLOAT_ANSWERS
    return stitch(parse_json(page, exact=exact).get("orders") or []
                  if isinstance(page, (bytes, bytearray)) else page for page in pages)


def read_orders(client: Any, project_id: int, backtest_id: str, *,
                decode: Callable[[bytes], dict | None] | None,
                on_items: Callable[[list], None], expected: int | None, concurrency: int,
                poll: tuple[float, float]) -> list[bytes | list[dict]]:
    """Read every window of a backtest's orders; each window's new orders go to `on_items` as
    they arrive (rows when `decode` read the answer, dicts otherwise). Returns each window's
    answer in order, to keep: its bytes when `decode` read it, else its orders as dicts
    (as_dicts takes both)."""
    answers: dict[int, bytes | list[dict]] = {}

    def keep(start: int, answer: dict) -> dict:
        source = answer.pop(SOURCE, None)
        answers[start] = source if source is not None else answer.get("orders") or []
        return answer

    def fetch(start: int, end: int) -> dict:
        return keep(start, client.read_backtest_orders(project_id, backtest_id, start, end,
                                                       decode=decode))

    def fetch_many(windows: list[tuple[int, int]], concurrency: int,
                   each: Callable[[dict], None]) -> None:
        starts = iter(start for start, _ in windows)   # the answers come in their order
        client.read_backtest_orders_windows(
            project_id, backtest_id, windows, concurrency=concurrency, decode=decode,
            each=lambda answer: each(keep(next(starts), answer)))

    read_all(fetch, "orders", expected=expected, concurrency=concurrency, poll=poll,
             on_items=on_items, fetch_many=fetch_many)
    return [answers[start] for start in sorted(answers)]

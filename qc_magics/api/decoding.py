"""How the service's answers become Python values: one parse per answer, with orjson (the
`fast` extra) where it pays and gives the same values, the standard library's json otherwise.

The transport reads every answer through here (`json_of`); results/order_rows.py parses kept
answers with `parse_json`, the same way.
"""
from __future__ import annotations

import json
import re
from typing import Any, Callable

from .http1 import Response

NOT_JSON = object()   # what json_of gives for an answer that is not JSON


_UNSET = object()
# The optional extra qc-magics[fast] parses answers two to three times as fast, but importing it
# (with uuid, platform, zoneinfo) costs 15-25 ms, more than it saves on a command's one or two
# answers (a 700 KB project listing parses ~4 ms faster). So answers go to `json` until this
# process has read FAST_AFTER bytes of them; then orjson is imported, if installed, and parses
# the rest (a read of many windows of orders or logs). None: not installed (or switched off).
FAST_AFTER = 2_000_000
_fast_loads: Any = _UNSET
_parsed = 0


def _orjson_loads():
    global _fast_loads
    try:
        from orjson import loads
    except ImportError:   # pragma: no cover - the standard library does the same, slower
        loads = None
    _fast_loads = loads
    return loads
_UTF8 = frozenset({"utf-8", "utf8"})
# A number token starts after one of these; hex ids inside strings ("a1234...") do not match.
_LONG_DIGITS = re.compile(rb"[:\[,\s]-?\d{20}")
# The regex walks every byte in Python's re engine: ~2 ms for a 120 KB window of orders, three
# times orjson's parse of it. So it runs only when the bytes hold 20 digits in a row at all,
# which a scan in C finds in ~0.1 ms (every digit made "0", then one substring search).
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_TWENTY_DIGITS = b"0" * 20


# Answers whose every number ends up a float64 anyway: windows of orders (the orders frame and
# the order events frame make floats of every quantity, price and fee; ids and enum codes are
# small). They skip the check for 20-digit integers, a pass over each answer's bytes that cost
# 0.3 s of the 3.5 s of CPU a read of 100,000 orders takes (1,000 answers of ~150 KB).
FLOAT_ANSWERS = frozenset({"/backtests/orders/read"})


def _long_number(content: bytes) -> bool:
    """True when the JSON holds an integer of 20 digits or more (past 64 bits, maybe)."""
    return _TWENTY_DIGITS in content.translate(_DIGITS_AS_ZERO) \
        and _LONG_DIGITS.search(content) is not None


def parse_json(content: bytes, *, exact: bool = True) -> Any:
    """JSON text (UTF-8 bytes) as Python values; ValueError when it is not JSON.

    With orjson installed (and enough read, see FAST_AFTER), orjson parses it; anything orjson
    refuses (NaN literals, lone surrogates), and any text holding a number of 20 digits or more,
    which orjson would round, goes to the standard parser, so the values are the same either
    way. exact=False: the caller takes every number as a float (FLOAT_ANSWERS), so no such check
    is made."""
    global _parsed
    fast = _fast_loads
    if fast is _UNSET:
        _parsed += len(content)   # a count, not a lock: off by a few answers at worst
        fast = _orjson_loads() if _parsed > FAST_AFTER else None
    if fast is not None and not (exact and _long_number(content)):
        try:
            return fast(content)
        except ValueError:
            pass
    return json.loads(content)   # bytes: json detects UTF-8/16/32 itself


def json_of(response: Response, exact: bool = True) -> Any:
    """The answer's JSON, parsed once (files/read answers can be megabytes), or NOT_JSON."""
    try:
        if (response.encoding or "utf-8").lower() in _UTF8:
            return parse_json(response.content, exact=exact)
        return response.json()
    except ValueError:
        return NOT_JSON


def decoded(response: Response, decode: Callable[[bytes], dict | None] | None) -> dict | None:
    """What `decode` reads from an HTTP 200 answer in UTF-8 (see post), else None."""
    if decode is None or response.status_code != 200 \
            or (response.encoding or "utf-8").lower() not in _UTF8:
        return None
    return decode(response.content)

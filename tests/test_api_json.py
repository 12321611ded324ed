"""Answers parse to the same values with and without the optional orjson (qc-magics[fast])."""
from __future__ import annotations

import pytest

from qc_magics.api import transport, wire

ANSWERS = [
    b'{"success": true, "orders": [{"id": 1, "price": 1.25, "tag": "caf\\u00e9 \xe2\x82\xac"}]}',
    b'{"x": NaN, "y": Infinity}',                      # refused by orjson: the json fallback
    b'{"big": 123456789012345678901234567890}',        # past 64 bits: the json fallback
    b'{"s": "\\ud800"}',                               # a lone surrogate: the json fallback
    b'not json at all',
    b'[1, 2]',
]


def response(body: bytes) -> wire.Response:
    return wire.Response(200, "OK", wire.Headers({"content-type": "application/json"}), body)


@pytest.mark.parametrize("body", ANSWERS)
def test_the_fast_parser_and_the_standard_one_agree(body, monkeypatch):
    fast = transport._json_of(response(body))
    monkeypatch.setattr(transport, "_fast_loads", None)
    plain = transport._json_of(response(body))
    if plain is transport._NOT_JSON:
        assert fast is transport._NOT_JSON
    else:
        assert repr(fast) == repr(plain)   # repr: NaN != NaN, but both read it the same way


def test_hex_ids_inside_strings_keep_the_fast_parser():
    digits = b'{"id": "a12345678901234567890123456789ab", "n": 1}'
    assert transport._LONG_DIGITS.search(digits) is None
    assert transport._LONG_DIGITS.search(b'{"n": -123456789012345678901}') is not None

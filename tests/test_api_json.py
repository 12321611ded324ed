"""Answers parse to the same values with and without the optional orjson (qc-magics[fast])."""
from __future__ import annotations

import pytest

from qc_magics.api import decoding, wire

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
    monkeypatch.setattr(decoding, "_fast_loads", decoding._orjson_loads())
    fast = decoding.json_of(response(body))
    monkeypatch.setattr(decoding, "_fast_loads", None)
    plain = decoding.json_of(response(body))
    if plain is decoding.NOT_JSON:
        assert fast is decoding.NOT_JSON
    else:
        assert repr(fast) == repr(plain)   # repr: NaN != NaN, but both read it the same way


def test_hex_ids_inside_strings_keep_the_fast_parser():
    digits = b'{"id": "a12345678901234567890123456789ab", "n": 1}'
    assert decoding._LONG_DIGITS.search(digits) is None
    assert decoding._LONG_DIGITS.search(b'{"n": -123456789012345678901}') is not None


def test_small_answers_go_to_json_until_enough_were_read(monkeypatch):
    """orjson costs more to import than it saves on a command's few answers."""
    monkeypatch.setattr(decoding, "_fast_loads", decoding._UNSET)
    monkeypatch.setattr(decoding, "_parsed", 0)
    monkeypatch.setattr(decoding, "FAST_AFTER", 100)
    assert decoding.json_of(response(b'{"a": 1}')) == {"a": 1}
    assert decoding._fast_loads is decoding._UNSET
    decoding.json_of(response(b'{"pad": "' + b"x" * 200 + b'"}'))
    assert decoding._fast_loads is not decoding._UNSET   # orjson now, or None without it


@pytest.mark.parametrize("body, long", [
    (b'{"n": 12345678901234567890}', True),
    (b'{"n": [1, -123456789012345678901]}', True),
    (b'{"n": 1234567890123456789}', False),                     # 19 digits: fits 64 bits
    (b'{"id": "a12345678901234567890123456789ab", "n": 1}', False),   # digits inside a string
    (b'{"a": 1, "b": 22, "c": "333"}', False),
])
def test_long_numbers_are_found_by_the_quick_scan_and_the_exact_one(body, long):
    assert decoding._long_number(body) is long


def test_windows_of_orders_skip_the_long_number_check_and_others_keep_it(client, emu,
                                                                          monkeypatch):
    """Every number of an orders window becomes a float64 in the frames, so its answers are not
    scanned for 20-digit integers (0.3 s of a 100,000-order read); every other answer is."""
    pytest.importorskip("orjson")
    monkeypatch.setattr(decoding, "_fast_loads", decoding._orjson_loads())
    scanned = []
    real = decoding._long_number
    monkeypatch.setattr(decoding, "_long_number", lambda c: scanned.append(c) or real(c))
    pid = client.create_project("Scan")["projectId"]
    scanned.clear()
    client.read_file(pid, "main.py")
    assert len(scanned) == 1
    assert decoding.FLOAT_ANSWERS == {"/backtests/orders/read"}
    body = b'{"success": true, "orders": [{"id": 1, "quantity": 123456789012345678901}]}'
    assert decoding.json_of(response(body), exact=False)["orders"][0]["quantity"] \
        == pytest.approx(1.2345678901234568e20)
    assert decoding.json_of(response(body))["orders"][0]["quantity"] == 123456789012345678901


def test_a_decode_is_given_answers_of_http_200_only_and_none_takes_the_general_path(client, emu):
    """Transport.post's `decode` reads good answers its own way; errors, retries and anything
    it does not read go the way every answer goes."""
    from qc_magics.errors import ApiError
    given = []

    def decode(content: bytes):
        given.append(content)
        return {"read": "quickly"} if b'"success":true' in content.replace(b" ", b"") else None
    pid = client.create_project("Decode")["projectId"]
    assert client.transport.post("/projects/read", {"projectId": pid}, decode=decode) \
        == {"read": "quickly"}
    emu.script_fault("/projects/read", "503")         # retried; the 503 is never decoded
    given.clear()
    assert client.transport.post("/projects/read", {"projectId": pid}, decode=decode) \
        == {"read": "quickly"}
    assert len(given) == 1
    with pytest.raises(ApiError):                     # refused: decoded to None, then raised
        client.transport.post("/projects/read", {"projectId": 99999}, decode=decode)
    assert client.transport.post("/projects/read", {"projectId": pid},
                                 decode=lambda content: None)["projects"][0]["projectId"] == pid


@pytest.mark.parametrize("body", ANSWERS[:4])
def test_parse_json_is_what_answers_are_parsed_with(body):
    assert repr(decoding.parse_json(body)) == repr(decoding.json_of(response(body)))

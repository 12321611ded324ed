"""Generated inputs for the number, money, percent, duration and date parsers of results/:
whatever Lean formats, the reader turns back into the value it formatted."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from qc_magics.results.optimization import statistics_by_name
from qc_magics.results.parse import parse_number, parse_timespan, percent_to_fraction
from qc_magics.results.times import to_timestamp, to_utc

SETTINGS = settings(max_examples=150, deadline=None)
cents = st.integers(min_value=-10**13, max_value=10**13)


def money_forms(amount: Decimal) -> list[str]:
    """Every way Lean and the service write an amount (see REAL-SERVICE.md)."""
    body, plain = f"{abs(amount):,.2f}", f"{abs(amount):.2f}"
    sign = "-" if amount < 0 else ""
    forms = [f"{sign}${body}", f"${sign}{body}", f"${sign}{plain}", f"{sign}{body}",
             f"{sign}{plain}", f"{sign}€{body}", f"{sign}ZRX{plain}"]
    if amount < 0:
        forms.append(f"(${body})")
    return forms


@SETTINGS
@given(cents)
def test_money_round_trips_in_every_sign_order_and_separator_style(c):
    amount = Decimal(c) / 100
    for text in money_forms(amount):
        assert parse_number(text) == float(amount), text


@SETTINGS
@given(st.integers(min_value=-10**9, max_value=10**9), st.integers(min_value=0, max_value=3))
def test_percent_strings_and_percent_numbers_become_the_same_fraction(units, places):
    value = Decimal(units).scaleb(-places)          # e.g. 77.188
    fraction = float(value / 100)
    for text in (f"{value}%", f"{value} %", f"{value:,}%"):
        assert parse_number(text) == fraction, text
    assert percent_to_fraction(str(value)) == fraction
    assert percent_to_fraction(float(value)) == fraction      # the optimization's percent number
    assert statistics_by_name({"13": float(value)})["Probabilistic Sharpe Ratio"] == fraction


@SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_plain_numbers_round_trip(x):
    assert parse_number(repr(x)) == x
    assert parse_number(x) == x


@SETTINGS
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=1, max_size=20))
def test_symbol_text_is_never_a_number(text):
    assert parse_number(f"{text} R735QTJ8XC9X") is None


@SETTINGS
@given(st.integers(min_value=0, max_value=3650), st.integers(min_value=0, max_value=23),
       st.integers(min_value=0, max_value=59), st.integers(min_value=0, max_value=59),
       st.integers(min_value=0, max_value=9_999_999), st.booleans())
def test_net_timespans_round_trip(days, hours, minutes, seconds, ticks, negative):
    fraction = f".{ticks:07d}" if ticks else ""
    text = (f"{'-' if negative else ''}{f'{days}.' if days else ''}"
            f"{hours:02d}:{minutes:02d}:{seconds:02d}{fraction}")
    expected = pd.Timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds,
                            microseconds=ticks // 10)
    assert parse_timespan(text) == (-expected if negative else expected)
    # Optimization runtimes: "hh:mm:ss" with no day part, hours past 24.
    total_hours = days * 24 + hours
    assert parse_timespan(f"{total_hours:02d}:{minutes:02d}:{seconds:02d}") == pd.Timedelta(
        hours=total_hours, minutes=minutes, seconds=seconds)


instants = st.datetimes(min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2100, 1, 1))
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60)


@SETTINGS
@given(instants, offsets)
def test_every_date_form_is_the_same_utc_instant(moment, offset_minutes):
    utc = pd.Timestamp(moment, tz="UTC")
    whole = moment.replace(microsecond=0)
    local = moment + dt.timedelta(minutes=offset_minutes)
    sign = "+" if offset_minutes >= 0 else "-"
    offset = f"{sign}{abs(offset_minutes) // 60:02d}:{abs(offset_minutes) % 60:02d}"
    forms = {
        whole.strftime("%Y-%m-%d %H:%M:%S"): pd.Timestamp(whole, tz="UTC"),      # the service's
        whole.strftime("%Y-%m-%dT%H:%M:%S"): pd.Timestamp(whole, tz="UTC"),
        whole.strftime("%Y-%m-%dT%H:%M:%SZ"): pd.Timestamp(whole, tz="UTC"),
        moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"): utc,
        moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z": utc,                      # 7 digits (.NET)
        local.strftime("%Y-%m-%dT%H:%M:%S.%f") + offset: utc,
    }
    for text, expected in forms.items():
        assert to_timestamp(text) == expected, text
    # Unix seconds as a float: exact to the microsecond the float can hold.
    assert abs(to_timestamp(utc.timestamp()) - utc) < pd.Timedelta(microseconds=1)
    mixed = to_utc([*forms, int(whole.replace(tzinfo=dt.timezone.utc).timestamp()), None])
    assert str(mixed.dtype) == "datetime64[ns, UTC]"
    assert list(mixed[:-1]) == [*forms.values(), pd.Timestamp(whole, tz="UTC")]
    assert pd.isna(mixed[-1])


# -- times the ISO 8601 pass cannot read, and times a nanosecond clock cannot hold (review) ------

@pytest.mark.parametrize("column, expected", [
    (["1/2/2020 3:04:05.5 PM"], ["2020-01-02 15:04:05.5"]),     # "mixed" alone, a fraction
    (["2020-01-02T14:31:00,5"], ["2020-01-02 14:31:00.5"]),
    (["01/02/2020 14:31:00.5", None], ["2020-01-02 14:31:00.5", None]),
    (["1/2/2020 3:04:05.5 PM", "garbage"], ["2020-01-02 15:04:05.5", None]),
    (["9999-12-31T23:59:59.9999999Z", "2020-01-01T00:00:00Z"], [None, "2020-01-01"]),  # MaxValue
    (["0001-01-01T00:00:00Z"], [None]),                          # .NET's DateTime.MinValue
    (["2262-04-11T23:47:16Z", "2262-04-12T00:00:00Z"], ["2262-04-11 23:47:16", None]),
    ([253402300799, -1e11, 1.5e9], [None, None, "2017-07-14 02:40:00"]),   # seconds too
])
def test_odd_times_become_times_or_nat_never_an_error(column, expected):
    from qc_magics.results.times import to_utc
    got = to_utc(column)
    assert str(got.tz) == "UTC" and got.dtype == "datetime64[ns, UTC]"
    want = [pd.NaT if e is None else pd.Timestamp(e, tz="UTC") for e in expected]
    assert [None if pd.isna(g) else g for g in got] == [None if pd.isna(w) else w for w in want]


# -- to_floats: each value's number whatever its neighbours ---------------------------------------

from hypothesis import given, settings, strategies as st  # noqa: E402

import numpy as np  # noqa: E402

from qc_magics.results.parse import to_floats  # noqa: E402

_value = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(),
                   st.sampled_from(["2.7145", "$1.00", "-$1,234.5", "15%", "1e400", "", "x"]),
                   st.lists(st.integers(), max_size=2))


@given(st.lists(_value, max_size=8))
@settings(max_examples=300, deadline=None)
def test_to_floats_gives_each_value_the_number_it_has_alone(values):
    together = to_floats(values)
    alone = [to_floats([v])[0] for v in values]
    assert together.shape == (len(values),) and together.dtype == "float64"
    np.testing.assert_array_equal(together, np.array(alone, dtype="float64"))

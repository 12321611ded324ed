"""Generated inputs for every number the faces and jobs take: whatever is typed or passed, it
becomes a finite value in range or one line that says what is wanted. Never a traceback, never a
request with a value that was not checked. Also: no generated text reaches a terminal raw.
"""
from __future__ import annotations

import math
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qc_magics import jobs
from qc_magics.commands import GrammarError, parse
from qc_magics.commands.numbers import MAX_PARALLEL, MAX_WAIT
from qc_magics.commands.render import printable
from qc_magics.errors import InvalidArgument

BOUNDED = settings(max_examples=150, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

# What people type for a number: numbers of every shape, the words floats accept, and noise.
SPECIAL = st.sampled_from(["nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e999", "-1e999",
                           "0", "-0", "0.0", "1e-320", " 3 ", "0x10", "1_000", "1e3", "+5",
                           "", " ", "٣", "١٢", "5.", ".5", "1e", "--1", "9" * 400])
NUMBERISH = st.one_of(SPECIAL, st.floats().map(repr), st.floats().map(str),
                      st.integers(-10**30, 10**30).map(str), st.text(max_size=12))


def _parse_or_one_line(tokens: list[str]):
    """The parsed arguments, or None after checking the refusal is one line."""
    try:
        return parse(tokens, "%qc")[1]
    except GrammarError as e:
        text = str(e)
        assert text and "\n" not in text and "Traceback" not in text
        return None


@BOUNDED
@given(NUMBERISH)
def test_any_timeout_is_a_finite_wait_or_one_line(text):
    args = _parse_or_one_line(["wait", "n.ipynb", f"--timeout={text}"])
    if args is not None:
        assert math.isfinite(args.timeout) and 0 <= args.timeout <= MAX_WAIT


@BOUNDED
@given(NUMBERISH)
def test_any_max_cost_is_a_finite_amount_or_one_line(text):
    args = _parse_or_one_line(["optimize", "run", "--param", "a=1:3:1", f"--max-cost={text}"])
    if args is not None:
        assert math.isfinite(args.max_cost) and args.max_cost >= 0


@BOUNDED
@given(NUMBERISH)
def test_any_parallel_is_a_node_count_or_one_line(text):
    args = _parse_or_one_line(["optimize", "estimate", "--param", "a=1:3:1", f"--parallel={text}"])
    if args is not None:
        assert isinstance(args.parallel, int) and 1 <= args.parallel <= MAX_PARALLEL


@BOUNDED
@given(st.one_of(
    st.tuples(NUMBERISH, NUMBERISH, NUMBERISH).map(lambda t: f"p={t[0]}:{t[1]}:{t[2]}"),
    st.text(max_size=30)))
def test_any_parameter_range_is_listable_or_one_line(text):
    args = _parse_or_one_line(["optimize", "estimate", f"--param={text}"])
    if args is not None:
        (r,) = args.param
        assert all(math.isfinite(x) for x in (r.min, r.max, r.step)) and r.step > 0
        assert 1 <= len(r.values) <= jobs.MAX_RANGE_VALUES


@BOUNDED
@given(NUMBERISH)
def test_any_constraint_value_is_finite_or_one_line(text):
    args = _parse_or_one_line(["optimize", "estimate", "--param", "a=1:2:1",
                               f"--constraint=drawdown <= {text}"])
    if args is not None:
        assert math.isfinite(args.constraint[0].value)


# --- the Python API checks the same before its first request -------------------------------------

class _Reached(Exception):
    pass


class _NoService:
    """A client that fails the test's way on the first request: reaching it means every value
    was accepted as valid."""

    def __getattr__(self, name):
        raise _Reached(name)


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                    st.integers(-10**6, 10**6), st.none(), st.booleans(), st.text(max_size=3))


@BOUNDED
@given(max_cost=NUMBERS, timeout=NUMBERS, first=NUMBERS, parallel=NUMBERS,
       low=NUMBERS, high=NUMBERS, step=NUMBERS)
def test_run_optimization_checks_every_number_before_any_request(max_cost, timeout, first,
                                                                 parallel, low, high, step):
    try:
        jobs.run_optimization(_NoService(), 1, [("p", low, high, step)], max_cost=max_cost,
                              timeout=timeout, poll=(first, 5.0), parallel_nodes=parallel,
                              progress="none")
    except InvalidArgument as e:
        assert "\n" not in str(e)
        return
    except _Reached:
        pass
    else:
        pytest.fail("no request, no refusal")
    # Everything reached the service: each value was a sensible one.
    assert max_cost is None or (math.isfinite(max_cost) and max_cost >= 0)
    assert timeout is None or 0 <= timeout <= MAX_WAIT
    assert 0.01 <= first <= 5.0 and 1 <= parallel <= jobs.NODE_LIMITS["O2-8"]
    assert all(math.isfinite(x) for x in (low, high, step)) and step > 0 and high >= low


@BOUNDED
@given(timeout=NUMBERS, first=NUMBERS, cap=NUMBERS)
def test_run_backtest_checks_its_waits_before_any_request(timeout, first, cap):
    try:
        jobs.run_backtest(_NoService(), 1, poll=(first, cap), timeout=timeout, progress="none")
    except InvalidArgument:
        return
    except _Reached:
        assert 0.01 <= first <= cap <= MAX_WAIT
        assert timeout is None or 0 <= timeout <= MAX_WAIT


# --- text from the cloud -------------------------------------------------------------------------

def _acts_on_terminal(ch: str) -> bool:
    """Acted on, or invisible: controls, format characters (bidi, zero-width), separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs") or ch in \
        "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=40))
def test_printable_leaves_nothing_a_terminal_acts_on(text):
    one = printable(text)
    assert not any(_acts_on_terminal(ch) for ch in one)
    one.encode("utf-8")   # no lone surrogate left to make print() fail
    many = printable(text, keep_newlines=True)
    assert not any(_acts_on_terminal(ch) for ch in many if ch != "\n")
    assert many.count("\n") == text.count("\n")
    if not any(_acts_on_terminal(ch) for ch in text):
        assert one == text   # what is safe shows as it is


@pytest.mark.parametrize("raw, shown", [
    ("\x1b[2J", r"\x1b[2J"), ("a\rb", r"a\rb"), ("\u202eevil", r"\u202eevil"),
    ("bell\x07", r"bell\x07"), ("x\udcff", r"x\udcff"), ("日本 é", "日本 é"),
])
def test_printable_examples(raw, shown):
    assert printable(raw) == shown


@pytest.mark.parametrize("poll", [(True, "1"), ("1", 2.0), (1.0, True), (0.5,)])
def test_a_poll_of_text_or_bools_is_refused_before_any_request(poll):
    """Found by the generated test above: (True, '1') passed float() and failed mid-wait."""
    with pytest.raises(InvalidArgument, match="poll is"):
        jobs.run_backtest(_NoService(), 1, poll=poll, progress="none")

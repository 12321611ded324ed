"""Numbers that cost money are checked before any request: parameter ranges, constraints, node
counts and costs. Generated inputs (hypothesis) try the classes, not only the listed cases."""
from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qc_magics import Constraint, InvalidArgument, ParameterRange
from qc_magics.api.optimizations import NODE_LIMITS, check_nodes

FAST = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6)
not_finite = st.sampled_from([math.nan, math.inf, -math.inf])
anything = st.one_of(st.floats(), st.integers(), st.booleans(), st.text(max_size=3), st.none())


@FAST
@given(low=finite, step=st.floats(min_value=1e-3, max_value=1e4),
       n=st.integers(min_value=0, max_value=300), frac=st.floats(min_value=0, max_value=0.99))
def test_a_valid_range_gives_its_grid(low, step, n, frac):
    span = (n + frac) * step
    r = ParameterRange("p", low, low + span, step)
    values = r.values
    assert len(values) == r.count == n + 1
    assert values[0] == pytest.approx(low, abs=1e-9)
    tolerance = 1e-6 * max(1.0, abs(low) + span)
    assert all(low - tolerance <= v <= low + span + tolerance for v in values)
    assert all(b > a for a, b in zip(values, values[1:]))                 # strictly increasing
    if len(values) > 1:
        assert values[1] - values[0] == pytest.approx(step, rel=1e-6, abs=1e-9)
    assert r.as_json() == {"name": "p", "min": low, "max": low + span, "step": step}


@FAST
@given(field=st.sampled_from(["min", "max", "step", "min_step"]), bad=not_finite)
def test_a_non_finite_number_anywhere_in_a_range_is_refused(field, bad):
    args = {"name": "p", "min": 1.0, "max": 5.0, "step": 1.0, "min_step": 0.5, field: bad}
    with pytest.raises(InvalidArgument, match="finite"):
        ParameterRange(**args)


@FAST
@given(step=st.one_of(st.just(0.0), st.just(-0.0), st.floats(max_value=0, allow_nan=False,
                                                              allow_infinity=False)))
def test_a_zero_or_negative_step_is_refused(step):
    with pytest.raises(InvalidArgument, match="step must be positive"):
        ParameterRange("p", 1, 5, step)


@FAST
@given(low=finite, gap=st.floats(min_value=1e-6, max_value=1e6))
def test_min_above_max_is_refused(low, gap):
    with pytest.raises(InvalidArgument, match="below min"):
        ParameterRange("p", low + gap, low, 1)


@FAST
@given(value=anything)
def test_any_non_number_is_refused_with_invalid_argument_never_another_error(value):
    for field in ("min", "max", "step"):
        args = {"name": "p", "min": 1, "max": 5, "step": 1, field: value}
        try:
            ParameterRange(**args)
        except InvalidArgument:
            continue
        assert isinstance(value, (int, float)) and not isinstance(value, bool)
        assert math.isfinite(value)


def test_a_span_too_wide_to_count_is_refused_not_an_overflow():
    with pytest.raises(InvalidArgument, match="more values than can be counted"):
        ParameterRange("p", -1e308, 1e308, 1.0)
    with pytest.raises(InvalidArgument, match="finite"):
        ParameterRange("p", 0, 10 ** 400, 1)


@pytest.mark.parametrize("text", ["a=nan:5:1", "a=1:inf:1", "a=1:5:nan", "a=1:5:0", "a=5:1:1",
                                  "a=-inf:1:1", "a=1:5:-1"])
def test_parsed_ranges_are_checked_the_same_way(text):
    with pytest.raises(InvalidArgument):
        ParameterRange.parse(text)


@FAST
@given(value=st.one_of(not_finite, st.booleans(), st.text(max_size=3)))
def test_a_constraint_needs_a_finite_number(value):
    with pytest.raises(InvalidArgument):
        Constraint("drawdown", "<=", value)


@pytest.mark.parametrize("text", ["drawdown <= nan", "sharpe > inf", "sharpe > -inf"])
def test_parsed_constraints_refuse_non_finite_values(text):
    with pytest.raises(InvalidArgument, match="finite"):
        Constraint.parse(text)


def test_a_constraint_with_an_unknown_target_or_operator_is_refused_when_made():
    with pytest.raises(InvalidArgument, match="unknown optimization target"):
        Constraint("alpha-ish", "<=", 1)
    with pytest.raises(InvalidArgument, match="unknown constraint operator"):
        Constraint("drawdown", "=<", 1)
    assert Constraint("drawdown", "<=", 0.25).as_json() == {
        "target": "TotalPerformance.PortfolioStatistics.Drawdown", "operator": "LessOrEqual",
        "targetValue": 0.25}


# --- nodes ---------------------------------------------------------------------------------------

def test_node_limits_are_the_services():
    assert NODE_LIMITS == {"O2-8": 24, "O4-12": 12, "O8-16": 6}


@FAST
@given(node=st.sampled_from(sorted(NODE_LIMITS)), n=st.integers(min_value=-5, max_value=40))
def test_parallel_nodes_within_the_type_limit_pass_and_others_are_refused(node, n):
    if 1 <= n <= NODE_LIMITS[node]:
        check_nodes(node, n)
    else:
        with pytest.raises(InvalidArgument) as e:
            check_nodes(node, n)
        assert "\n" not in str(e.value)
        if n > 0:
            assert f"{node} nodes run 1 to {NODE_LIMITS[node]} in parallel, not {n}" in str(e.value)


@pytest.mark.parametrize("n", [True, 2.0, "4", None])
def test_parallel_nodes_must_be_a_whole_number(n):
    with pytest.raises(InvalidArgument, match="whole number"):
        check_nodes("O2-8", n)


def test_too_many_nodes_are_refused_before_any_request(client, emu, project):
    compiled = client.create_compile(project["projectId"])
    emu.clear_log()
    for node, n in (("O8-16", 7), ("O4-12", 13), ("O2-8", 25)):
        for call in (client.estimate_optimization, client.create_optimization):
            kwargs = dict(target="sharpe", target_to="max", node_type=node, parallel_nodes=n,
                          parameters=[ParameterRange("ema_fast", 5, 10, 5)])
            if call == client.create_optimization:
                kwargs.update(compile_id=compiled["compileId"], estimated_cost=1.0)
            with pytest.raises(InvalidArgument, match=f"{node} nodes run 1 to"):
                call(project["projectId"], "opt", **kwargs)
    assert emu.requests == []


@pytest.mark.parametrize("cost", [math.nan, math.inf, -1.0, -math.inf, "5", True])
def test_a_cost_that_is_not_a_finite_non_negative_number_starts_nothing(client, emu, project,
                                                                         cost):
    compiled = client.create_compile(project["projectId"])
    emu.clear_log()
    with pytest.raises(InvalidArgument, match="estimated cost"):
        client.create_optimization(project["projectId"], "opt", compile_id=compiled["compileId"],
                                   target="sharpe", target_to="max", node_type="O2-8",
                                   parallel_nodes=2, estimated_cost=cost,
                                   parameters=[ParameterRange("ema_fast", 5, 10, 5)])
    assert emu.requests == []


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_a_non_finite_target_value_is_refused_before_any_request(client, emu, project, value):
    emu.clear_log()
    with pytest.raises(InvalidArgument, match="target value"):
        client.estimate_optimization(project["projectId"], "opt", target="sharpe",
                                     target_to="max", target_value=value,
                                     parameters=[ParameterRange("ema_fast", 5, 10, 5)])
    assert emu.requests == []

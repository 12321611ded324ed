"""Running and following backtests and optimizations against the emulator over HTTP."""
from __future__ import annotations

import matplotlib
import pandas as pd
import pytest

from conftest import make_client
from qc_magics import NotFoundError
from qc_magics.errors import (BacktestRuntimeError, CompileError, CostNotConfirmed,
                              WaitInterrupted)
from qc_magics.jobs import (estimate_optimization, follow_backtest, run_backtest,
                            run_optimization)
from qc_magics.results import Backtest, Optimization, backtests_frame, compare
from qc_magics.results.tables import optimizations_frame

matplotlib.use("Agg")
FAST = dict(progress="none", poll=(0.01, 0.05))


@pytest.fixture
def client(emu):
    return make_client(emu)


@pytest.fixture
def project(client):
    return client.create_project("Jobs")["projectId"]


def with_source(client, pid, extra):
    main = client.read_file(pid, "main.py")["content"]
    client.update_file(pid, "main.py", main + extra)


def test_run_backtest_follows_it_to_statistics(client, emu, project):
    bt = run_backtest(client, "Jobs", "first", {"ema_fast": 10, "mode": "long"}, **FAST)
    assert bt.done and bt.status == "Completed." and bt.statistics["Total Orders"] == 240
    assert bt.parameters == {"ema_fast": 10, "mode": "long"}    # kept as sent: 10 stays a number
    reads = [r for r in emu.requests if r["endpoint"] == "/backtests/read"]
    assert len(reads) >= 2


def test_completed_before_statistics_is_waited_out(client, emu, project):
    emu.app.timing.statistics_lag = 10.0   # 0.2 s at this test's time scale
    bt = run_backtest(client, project, **FAST)
    assert bt.completed and bt.statistics["Total Orders"] == 240   # not returned at "completed"
    assert emu.count("/backtests/read") > 3


def test_a_build_error_raises_with_the_compiler_logs(client, project):
    with_source(client, project, "\ndef broken(:\n")
    with pytest.raises(CompileError) as e:
        run_backtest(client, project, **FAST)
    assert "main.py Line:" in str(e.value) and e.value.logs[-1] == "Build Failed."
    assert client.list_backtests(project) == []


def test_a_runtime_error_raises_and_keeps_the_backtest(client, project):
    with_source(client, project, "# qc-emulator: runtime-error KeyError: 'SPY'\n")
    with pytest.raises(BacktestRuntimeError) as e:
        run_backtest(client, project, **FAST)
    assert e.value.error == "KeyError: 'SPY'" and "main.py" in e.value.stacktrace
    bt = e.value.backtest
    assert bt.status == "Runtime Error" and bt.id in str(e.value)
    assert [b["backtestId"] for b in client.list_backtests(project)] == [bt.id]


def test_no_wait_returns_a_handle_that_can_wait_later(client, project):
    bt = run_backtest(client, project, wait=False, **FAST)
    assert isinstance(bt, Backtest) and not bt.done
    assert bt.wait().done


def test_ctrl_c_while_waiting_keeps_the_job_and_says_how_to_resume(client, emu, project, monkeypatch):
    bt = run_backtest(client, project, wait=False, **FAST)
    calls = {"n": 0}
    real = Backtest.refresh

    def interrupted(self):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(Backtest, "refresh", interrupted)
    with pytest.raises(WaitInterrupted) as e:
        follow_backtest(bt)
    monkeypatch.setattr(Backtest, "refresh", real)
    assert e.value.handle is bt
    assert e.value.resume == f"Backtest(client, {project}, {bt.id!r}).wait()"
    assert "nothing was deleted or aborted" in str(e.value)
    assert emu.count("/backtests/delete") == 0
    assert bt.wait().done       # and resuming works


def test_unknown_backtest_id_is_not_found(client, project):
    with pytest.raises(NotFoundError, match="Backtest not found"):
        Backtest(client, project, "f" * 32).statistics


def test_orders_read_concurrently_in_windows_match_the_service(client, emu, project):
    with_source(client, project, "# qc-emulator: orders 2500\n# qc-emulator: insights 350\n")
    bt = run_backtest(client, project, **FAST)
    emu.clear_log()
    emu.script_fault("/backtests/orders/read", "loading")   # one empty answer, as while loading
    orders = bt.orders
    assert len(orders) == 2500 and orders.index.tolist() == list(range(1, 2501))
    windows = [(r["fields"]["start"], r["fields"]["end"]) for r in emu.requests
               if r["endpoint"] == "/backtests/orders/read"]
    # the empty answer is retried, then 25 windows 100 wide (windows.WINDOW), each asked once
    assert windows[:2] == [(0, 100), (0, 100)]
    assert sorted(windows[1:]) == [(s, s + 100) for s in range(0, 2500, 100)]
    direct = client.read_backtest_orders(project, bt.id, 990, 999)["orders"]
    assert orders.loc[991:999, "price"].tolist() == [o["price"] for o in direct]
    # Built window by window as they arrived: the frame of the orders read whole, exactly.
    from qc_magics.results import frames
    pd.testing.assert_frame_equal(orders, frames.orders_frame(bt._orders_raw()), check_exact=True)
    assert len(bt.order_events) >= 2500
    assert len(bt.insights) == 350


def test_orders_read_as_rows_and_as_dicts_agree_and_events_need_no_second_read(
        client, emu, project, monkeypatch):
    from qc_magics.results import frames, order_rows
    with_source(client, project, "# qc-emulator: orders 730\n")
    bt = run_backtest(client, project, **FAST)
    quick = Backtest(client, project, bt.id, bt.data)
    emu.clear_log()
    orders = quick.orders
    reads = len(emu.requests)
    assert reads == 8 and len(orders) == 730   # windows of 100
    events = quick.order_events               # from the answers kept, not read again
    assert len(emu.requests) == reads and len(events) >= 730
    monkeypatch.setattr(order_rows, "QUICK", False)   # the general reading: dicts
    plain = Backtest(client, project, bt.id, bt.data)
    pd.testing.assert_frame_equal(orders, plain.orders, check_exact=True)
    pd.testing.assert_frame_equal(events, plain.order_events, check_exact=True)
    pd.testing.assert_frame_equal(orders, frames.orders_frame(plain._orders_raw()),
                                  check_exact=True)


def test_charts_report_and_plot(client, project):
    bt = run_backtest(client, project, **FAST)
    assert bt.charts == ["Assets Sales Volume", "Benchmark", "Capacity", "Drawdown", "Exposure",
                         "Portfolio Margin", "Portfolio Turnover", "Strategy Equity"]
    assert len(bt.equity) == 1000 and bt.drawdown.max() <= 0
    with pytest.raises(NotFoundError, match="did you mean 'Drawdown'"):
        bt.chart("Drawdwn")
    assert "<html" in bt.report()
    figure = bt.plot()
    assert len(figure.axes) == 3       # equity, its benchmark twin, drawdown


def test_list_compare_rename_note_delete(client, project):
    a = run_backtest(client, project, "alpha", {"x": 1}, **FAST)
    b = run_backtest(client, project, "beta", {"x": 2}, **FAST)
    table = backtests_frame(client, project)
    assert table.index.tolist() == [b.id, a.id]             # the newest first
    assert table["sharpe_ratio"].dtype == "float64" and str(table["created"].dt.tz) == "UTC"
    both = compare(client, project, [a, b.id])
    assert list(both.statistics.columns) == ["alpha", "beta"]
    assert both.statistics.loc["Total Orders"].tolist() == [240.0, 240.0]
    assert list(both.equity.columns) == ["alpha", "beta"] and len(both.equity) == 1000
    assert both.plot() is not None
    a.rename("alpha 2")
    a.set_note("kept")
    assert a.name == "alpha 2" and a.data["note"] == "kept"
    b.delete()
    assert backtests_frame(client, project).index.tolist() == [a.id]


def test_optimization_needs_a_yes_and_respects_max_cost(client, emu, project):
    grid = [("ema_fast", 5, 30, 5), ("ema_slow", 50, 150, 50)]
    estimate = estimate_optimization(client, project, grid)
    assert estimate.backtests == 18 and estimate.seconds > 0 and estimate.cost > 0
    with pytest.raises(CostNotConfirmed, match="confirm the estimate") as e:
        run_optimization(client, project, grid, **FAST)
    assert e.value.estimate.cost == estimate.cost and e.value.estimate.backtests == 18
    with pytest.raises(CostNotConfirmed, match="over the maximum of \\$0.01"):
        run_optimization(client, project, grid, max_cost=0.01, **FAST)
    assert emu.count("/optimizations/create") == 0
    opt = run_optimization(client, project, grid, max_cost=estimate.cost, **FAST)
    assert opt.status == "completed" and len(opt.grid) == 18
    assert emu.app.state.balance == pytest.approx(1000 - estimate.cost)


def test_optimization_grid_heatmap_best_list_abort_delete(client, emu, project):
    opt = run_optimization(client, project, [("fast", 1, 4, 1), ("slow", 10, 30, 10)],
                           target="psr", confirm=True, **FAST)
    grid = opt.grid
    assert grid[["fast", "slow"]].dtypes.tolist() == ["int64", "int64"]
    assert grid["Sharpe Ratio"].dtype == "float64" and grid["Drawdown"].between(0, 1).all()
    table = opt.heatmap("fast", "slow", "sharpe", plot=True)
    assert table.shape == (3, 4)
    best = opt.best("psr")
    assert best["Probabilistic Sharpe Ratio"] == grid["Probabilistic Sharpe Ratio"].max()
    assert optimizations_frame(client, project).index.tolist() == [opt.id]
    opt.rename("renamed")
    assert opt.name == "renamed"
    emu.app.timing.scale = 1.0
    slow = run_optimization(client, project, [("a", 1, 20, 1)], confirm=True, wait=False, **FAST)
    assert slow.abort().status == "aborted"
    slow.delete()
    opt.delete()
    assert optimizations_frame(client, project).empty


def test_grid_of_a_running_optimization_has_rows_only_for_started_backtests(client, emu, project):
    emu.app.timing.scale = 1.0
    opt = run_optimization(client, project, [("a", 1, 10, 1)], confirm=True, wait=False, **FAST)
    assert isinstance(opt, Optimization) and opt.refresh().status == "new"
    assert opt.grid.empty
    assert isinstance(opt.grid, pd.DataFrame)


def test_costs_are_held_exactly_and_shown_rounded_up_to_the_cent():
    from qc_magics.jobs import dollars
    assert [dollars(c) for c in (0.0, 0.004, 0.01, 0.07, 1234.5, 2.001)] == \
        ["$0.00", "$0.01", "$0.01", "$0.07", "$1,234.50", "$2.01"]


def test_max_cost_zero_refuses_a_run_that_would_cost_a_fraction_of_a_cent(client, emu, project):
    from qc_magics.jobs import CostNotConfirmed, run_optimization
    with pytest.raises(CostNotConfirmed):
        run_optimization(client, project, [("a", 1, 1, 1)], max_cost=0, wait=False,
                         progress="none")
    assert emu.count("/optimizations/create") == 0


# --- waiting on handles, the plan, the vocabulary ----------------------------------------------

def test_handles_wait_with_progress_and_stop_when_on_progress_interrupts(client, emu, project):
    bt = run_backtest(client, project, wait=False, **FAST)
    seen = []
    assert bt.wait(on_progress=lambda f, status: seen.append((f, status))) is bt
    assert bt.done and seen[-1] == (1.0, "Completed.")
    assert all(0 <= f <= 1 for f, _ in seen)
    opt = run_optimization(client, project, [("ema_fast", 1, 3, 1)], confirm=True, wait=False,
                           **FAST)

    def stop(fraction, status):
        raise KeyboardInterrupt
    with pytest.raises(WaitInterrupted) as e:
        opt.wait(on_progress=stop)
    assert e.value.handle is opt and e.value.resume == f"Optimization(client, {opt.id!r}).wait()"
    assert emu.count("/optimizations/abort") == 0
    assert opt.wait().status == "completed" and len(opt.grid) == 3


def test_a_wait_that_times_out_carries_the_handle(client, project):
    from qc_magics.errors import WaitTimeout
    # Long enough (12 s at the suite's time scale) that a busy machine cannot finish it before
    # the one check: with the default length it sometimes did, and no timeout was raised.
    with_source(client, project, "# qc-emulator: duration 600\n")
    bt = run_backtest(client, project, wait=False, **FAST)
    with pytest.raises(WaitTimeout) as e:
        bt.wait(timeout=0)
    assert e.value.handle is bt and "checked once" in str(e.value)


def test_results_do_not_import_jobs():
    """Waiting belongs to the handles: results/ never reaches up to jobs."""
    import subprocess
    import sys
    code = ("import sys, qc_magics.results; "
            "print('qc_magics.jobs' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_plan_is_checked_whole_and_fills_in_the_targets_direction():
    from qc_magics.api.optimizations import Constraint, ParameterRange
    from qc_magics.errors import InvalidArgument
    from qc_magics.jobs import OptimizationPlan
    plan = OptimizationPlan([("a", 1, 3, 1), {"name": "b", "min": 0, "max": 1, "step": 0.5}],
                            target="drawdown", constraints=[("sharpe", ">=", 1)])
    checked = plan.check()
    assert checked.parameters == (ParameterRange("a", 1, 3, 1), ParameterRange("b", 0, 1, 0.5))
    assert checked.constraints == (Constraint("sharpe", ">=", 1),)
    assert (checked.direction, checked.node_type, checked.parallel_nodes) == ("min", "O2-8", 2)
    assert OptimizationPlan([("a", 1, 3, 1)], direction="max", target="drawdown"
                            ).check().direction == "max"
    for bad, words in [(dict(target="alpha"), "unknown optimization target"),
                       (dict(direction="up"), "'min' or 'max'"),
                       (dict(node_type="O16-32"), "node type"),
                       (dict(node_type="O8-16", parallel_nodes=7), "1 to 6"),
                       (dict(constraints=[("sharpe", ">=", float("nan"))]), "finite"),
                       (dict(name="  "), "name")]:
        with pytest.raises(InvalidArgument, match=words):
            OptimizationPlan([("a", 1, 3, 1)], **bad).check()
    with pytest.raises(InvalidArgument, match="at least one parameter"):
        OptimizationPlan([]).check()


def test_plan_and_keywords_give_the_same_run_and_do_not_mix(client, emu, project):
    from qc_magics.errors import InvalidArgument
    from qc_magics.jobs import OptimizationPlan
    plan = OptimizationPlan([("ema_fast", 1, 3, 1)], target="drawdown", parallel_nodes=3)
    by_plan = estimate_optimization(client, project, plan=plan)
    by_words = estimate_optimization(client, project, [("ema_fast", 1, 3, 1)],
                                     target="drawdown", parallel_nodes=3)
    assert (by_plan.backtests, by_plan.parallel_nodes) == (by_words.backtests, 3) == (3, 3)
    sent = [r["fields"] for r in emu.requests if r["endpoint"] == "/optimizations/estimate"]
    assert sent[0]["targetTo"] == sent[1]["targetTo"] == "min"
    emu.clear_log()
    for mixed in (dict(parameters=[("a", 1, 2, 1)]), dict(target="car"),
                  dict(constraints=[("sharpe", ">", 1)])):
        with pytest.raises(InvalidArgument, match="in the plan, not beside it"):
            run_optimization(client, project, plan=plan, confirm=True, **mixed, **FAST)
    assert emu.requests == []
    opt = run_optimization(client, project, plan=plan, confirm=True, **FAST)
    assert opt.status == "completed" and opt.data["criterion"]["extremum"] == "min"


def test_one_vocabulary_for_jobs_the_api_and_results():
    from qc_magics import jobs, vocabulary
    from qc_magics.api import optimizations
    from qc_magics.results.optimization import SHORT
    assert list(optimizations.TARGETS) == vocabulary.TARGETS
    assert set(vocabulary.TARGETS) <= set(SHORT)
    assert list(vocabulary.NODE_LIMITS) == list(vocabulary.NODE_PRICES) == vocabulary.NODE_TYPES
    assert optimizations.NODE_LIMITS is jobs.NODE_LIMITS is vocabulary.NODE_LIMITS
    assert (jobs.NODE_PRICES, jobs.DEFAULT_PARALLEL_NODES, jobs.DEFAULT_POLL) == (
        vocabulary.NODE_PRICES, 2, (0.5, 5.0))
    assert vocabulary.DEFAULT_TARGET in vocabulary.TARGETS
    assert vocabulary.DEFAULT_NODE_TYPE == "O2-8"
    assert {t: vocabulary.default_direction(t) for t in vocabulary.TARGETS} == {
        "sharpe": "max", "car": "max", "psr": "max", "drawdown": "min"}
    assert vocabulary.default_direction(optimizations.TARGETS["drawdown"]) == "min"

"""The emulator's behaviour: jobs over time, loading answers, encodings, persistence, faults."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
import requests

from conftest import SUITE_TOKEN, make_client, new_token, wait_until
from qc_magics import ApiError
from qc_magics.api import ParameterRange
from qc_magics.errors import InvalidArgument
from qc_magics.results import Backtest
from qc_magics.api.transport import signature
from qc_magics.emulator import Emulator


@pytest.fixture
def stepped(clock):
    with Emulator(api_token=SUITE_TOKEN, seed=3, clock=clock) as e:
        yield e


def raw_post(emu, endpoint, data=None, *, form=None, method="POST", params=None):
    """A request made by hand (as curl or lean-cli would), signed like the real service wants."""
    ts = str(int(emu.app.now()))
    return requests.request(method, emu.api_url + endpoint, json=data, data=form, params=params,
                            auth=(emu.user_id, signature(emu.api_token, ts)),
                            headers={"Timestamp": ts}, timeout=10).json()


def compiled_project(client, clock, source_extra=""):
    pid = client.create_project("Jobs")["projectId"]
    if source_extra:
        main = client.read_file(pid, "main.py")["content"]
        client.update_file(pid, "main.py", main + source_extra)
    cid = client.create_compile(pid)["compileId"]
    clock.advance(1.1)
    return pid, cid


def test_compile_goes_from_in_queue_to_build_success(stepped, clock):
    client = make_client(stepped)
    pid = client.create_project("C")["projectId"]
    cid = client.create_compile(pid)["compileId"]
    assert client.read_compile(pid, cid) == {"compileId": cid, "state": "InQueue", "logs": []}
    clock.advance(1.1)
    read = client.read_compile(pid, cid)
    assert read["state"] == "BuildSuccess" and read["logs"][-1] == "Build Success."


def test_a_syntax_error_is_a_build_error_with_the_compiler_logs(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock, "\ndef broken(:\n")
    read = client.read_compile(pid, cid)
    assert read["state"] == "BuildError"
    assert any("main.py Line: " in line for line in read["logs"])
    with pytest.raises(ApiError, match="BuildError"):
        client.create_backtest(pid, cid, "never")


def test_compile_reports_get_parameter_calls(stepped, clock):
    client = make_client(stepped)
    pid = client.create_project("Params")["projectId"]
    client.update_file(pid, "main.py", 'x = self.get_parameter("ema_fast", 10)\n')
    found = client.create_compile(pid)["parameters"]
    assert found[0]["file"] == "main.py" and "'ema_fast'" in found[0]["parameters"][0]["type"]


def test_backtest_states_and_the_completed_before_statistics_race(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock)
    bid = client.create_backtest(pid, cid, "race")["backtestId"]
    assert client.read_backtest(pid, bid)["status"] == "In Queue..."
    clock.advance(0.5 + 1.5)
    running = client.read_backtest(pid, bid)
    assert running["status"] == "'Running: _%'" and 0.4 < running["progress"] < 0.6
    assert not running["completed"] and running["runtimeStatistics"]["Equity"].startswith("$")
    clock.advance(1.6)
    race = client.read_backtest(pid, bid)
    assert race["completed"] and race["status"] == "Completed." and race["statistics"] == []
    clock.advance(0.5)
    done = client.read_backtest(pid, bid)
    assert done["statistics"]["Total Orders"] == "240"
    assert done["error"] is None and done["stacktrace"] is None    # null without an error
    assert set(done["charts"]) == {"Strategy Equity", "Drawdown", "Benchmark", "Exposure",
                                   "Assets Sales Volume", "Portfolio Turnover",
                                   "Portfolio Margin", "Capacity"}   # Lean's 8 standard charts
    # Lean serializes decimals as strings (JsonRoundingConverter)
    assert done["totalPerformance"]["portfolioStatistics"]["startEquity"] == "100000"


def test_statistics_use_the_service_display_styles(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock)
    bid = client.create_backtest(pid, cid, "styles")["backtestId"]
    clock.advance(10)
    b = client.read_backtest(pid, bid)
    stats, runtime = b["statistics"], b["runtimeStatistics"]
    assert stats["Net Profit"].endswith("%") and stats["Total Fees"].startswith("$")
    # Lean's StatisticsBuilder writes capacity and fees without thousands separators
    assert stats["Estimated Strategy Capacity"] == "$24000000.00"
    assert stats["Total Fees"] == "$352.51" and stats["Drawdown Recovery"].isdigit()
    assert runtime["Return"].endswith(" %") and runtime["Fees"].startswith("-$")
    assert runtime["Unrealized"] == "$0.00"
    durations = b["totalPerformance"]["tradeStatistics"]["averageTradeDuration"]
    assert durations == "5.12:00:00"


def test_results_are_deterministic_from_seed_and_parameters(clock):
    def sharpe(seed, params):
        with Emulator(api_token=SUITE_TOKEN, seed=seed, clock=clock) as e:
            c = make_client(e)
            pid, cid = compiled_project(c, clock)
            bid = c.create_backtest(pid, cid, "d", params)["backtestId"]
            clock.advance(10)
            return c.read_backtest(pid, bid)["statistics"]["Sharpe Ratio"]
    assert sharpe(1, {"a": 1}) == sharpe(1, {"a": 1})
    assert sharpe(1, {"a": 1}) != sharpe(2, {"a": 1})


def test_runtime_error_keeps_the_backtest_with_error_and_stack_trace(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock, "# qc-emulator: runtime-error ZeroDivisionError: division by zero\n")
    bid = client.create_backtest(pid, cid, "boom")["backtestId"]
    clock.advance(10)
    b = client.read_backtest(pid, bid)
    assert b["status"] == "Runtime Error" and b["completed"]
    assert b["error"] == "ZeroDivisionError: division by zero"
    assert "main.py" in b["stacktrace"]


def test_charts_load_while_running_and_answer_at_once_when_finished(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock, "# qc-emulator: points 4000\n")
    bid = client.create_backtest(pid, cid, "charts")["backtestId"]
    args = dict(start=0, end=2_000_000_000, count=100_000)
    clock.advance(0.5 + 1.5)                 # running, about half way
    loading = client.read_backtest_chart(pid, bid, "Strategy Equity", **args)
    assert loading["status"] == "loading" and 0.4 < loading["progress"] < 0.6
    clock.advance(10)
    # Finished: every chart answers at the first read (mcp-server test_backtest_charts.py).
    chart = client.read_backtest_chart(pid, bid, "Strategy Equity", **args)["chart"]
    equity = chart["series"]["Equity"]["values"]
    assert len(equity) == 4000 and all(len(p) == 5 for p in equity)
    assert [len(p) for p in chart["series"]["Return"]["values"][:3]] == [2, 2, 2]
    turnover = client.read_backtest_chart(pid, bid, "Portfolio Turnover", **args)["chart"]
    assert any(y is None for _, y in turnover["series"]["Portfolio Turnover"]["values"])
    small = client.read_backtest_chart(pid, bid, "Drawdown", start=0, end=2_000_000_000, count=50)
    assert len(small["chart"]["series"]["Equity Drawdown"]["values"]) == 50
    with pytest.raises(ApiError, match="Chart not found"):
        client.read_backtest_chart(pid, bid, "Nope", **args)
    # "loading" on a finished backtest only when scripted; the results layer waits it out.
    stepped.script_fault("/backtests/chart/read", "loading", times=3)
    assert client.read_backtest_chart(pid, bid, "Drawdown", **args)["status"] == "loading"
    stepped.clear_log()
    frame = Backtest(client, pid, bid, poll=(0.01, 0.02)).chart("Strategy Equity")
    assert len(frame) == 4000
    assert stepped.count("/backtests/chart/read") == 3      # two "loading", then the chart


def test_orders_come_in_windows_of_up_to_100_empty_only_while_loading(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock, "# qc-emulator: orders 100000\n")
    bid = client.create_backtest(pid, cid, "many orders")["backtestId"]
    clock.advance(0.5 + 1.5)                 # running: the service answers empty
    assert client.read_backtest_orders(pid, bid, 0, 100) == {"orders": [], "length": 0}
    clock.advance(10)
    # Finished: the first read holds the orders (mcp-server test_backtest_orders.py).
    first = client.read_backtest_orders(pid, bid, 0, 99)
    assert first["length"] == 100_000 and [o["id"] for o in first["orders"]] == list(range(1, 100))
    wide = client.read_backtest_orders(pid, bid, 0, 100)
    assert [o["id"] for o in wide["orders"]] == list(range(1, 101))
    last = client.read_backtest_orders(pid, bid, 99_950, 99_999 + 1 - 1)
    assert [o["id"] for o in last["orders"]][-1] == 99_999
    beyond = client.read_backtest_orders(pid, bid, 100_000, 100_050)
    assert beyond["orders"] == [] and beyond["length"] == 100_000
    types = {o["type"] for o in first["orders"]}
    statuses = {o["status"] for o in first["orders"]}
    assert types == set(range(12)) and statuses == {0, 1, 2, 3, 5, 6, 7, 8, 9}
    submitted, filled = first["orders"][0]["events"][:2]
    assert submitted["status"] == "submitted" and "orderFeeAmount" not in submitted
    assert filled["orderFeeAmount"] > 0 and submitted["message"] is None
    assert submitted["id"] == f"{submitted['algorithmId']}-1-1"
    # 100 wide is accepted (the spec's "less than 100" is wrong), wider is refused.
    window = {"projectId": pid, "backtestId": bid, "start": 200, "end": 300}
    accepted = raw_post(stepped, "/backtests/orders/read", window)
    assert accepted["success"] and [o["id"] for o in accepted["orders"]] == list(range(201, 301))
    refused = raw_post(stepped, "/backtests/orders/read", {**window, "end": 301})
    assert refused["success"] is False and "at most 100" in refused["errors"][0]
    with pytest.raises(InvalidArgument):
        client.read_backtest_orders(pid, bid, 0, 101)        # refused before sending
    stepped.script_fault("/backtests/orders/read", "loading")
    assert client.read_backtest_orders(pid, bid, 0, 100) == {"orders": [], "length": 0}
    assert client.read_backtest_orders(pid, bid, 0, 100) == wide


def test_insights_and_report(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock, "# qc-emulator: insights 150\n")
    bid = client.create_backtest(pid, cid, "insights")["backtestId"]
    assert client.read_backtest_report(pid, bid) == {"generating": True}
    assert client.read_backtest_insights(pid, bid, 0, 100) == {"insights": [], "length": 0}
    clock.advance(10)
    first = client.read_backtest_insights(pid, bid, 0, 99)   # finished: data at the first read
    assert first["length"] == 150 and len(first["insights"]) == 99
    page = client.read_backtest_insights(pid, bid, 99, 150)
    assert page["length"] == 150 and len(page["insights"]) == 51
    assert {i["direction"] for i in page["insights"]} <= {"up", "down", "flat"}
    assert len(client.read_backtest_insights(pid, bid, 0, 100)["insights"]) == 100
    stepped.script_fault("/backtests/read/insights", "loading")
    assert client.read_backtest_insights(pid, bid, 0, 100) == {"insights": [], "length": 0}
    stepped.script_fault("/backtests/read/insights", "loading")
    stepped.clear_log()
    assert len(Backtest(client, pid, bid, poll=(0.01, 0.02)).insights) == 150   # waits it out
    # empty, then [0, 100] and [100, 200]
    assert stepped.count("/backtests/read/insights") == 3
    assert client.read_backtest_report(pid, bid) == {"generating": True}
    assert "Sharpe Ratio" in client.read_backtest_report(pid, bid)["report"]


def test_optimization_runs_its_grid_in_batches_of_parallel_nodes(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock)
    grid = [ParameterRange("fast", 1, 6, 1)]
    opt = client.create_optimization(pid, "six", compile_id=cid, target="psr", target_to="max",
                                     parameters=grid, estimated_cost=1, node_type="O2-8",
                                     parallel_nodes=2)
    oid = opt["optimizationId"]
    assert client.read_optimization(oid)["status"] == "new"
    clock.advance(1.0 + 2.0 + 0.1)          # queue, then the first batch of two
    o = client.read_optimization(oid)
    assert o["status"] == "running"
    assert o["runtimeStatistics"]["Completed"] == "2" and o["runtimeStatistics"]["Running"] == "2"
    assert o["runtimeStatistics"]["In Queue"] == "2" and o["runtimeStatistics"]["Total"] == "6"
    clock.advance(4.0)
    o = client.read_optimization(oid)
    assert o["status"] == "completed" and len(o["backtests"]) == 6
    params = sorted(b["parameterSet"]["fast"] for b in o["backtests"].values())
    assert params == ["1", "2", "3", "4", "5", "6"]
    # the positional list by default: Lean's OptimizationBacktestJsonConverter writes 21 numbers
    assert all(isinstance(b["statistics"], list) and len(b["statistics"]) == 21 and b["equity"]
               for b in o["backtests"].values())
    assert stepped.app.state.balance == 999


def test_optimization_refusals(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock)
    common = dict(compile_id=cid, target="sharpe", target_to="max", node_type="O2-8",
                  parallel_nodes=2)
    with pytest.raises(ApiError, match="Insufficient balance"):
        client.create_optimization(pid, "rich", parameters=[ParameterRange("a", 1, 2, 1)],
                                   estimated_cost=5000, **common)
    with pytest.raises(ApiError, match="combinations"):
        client.estimate_optimization(pid, "huge", target="sharpe", target_to="max",
                                     parameters=[ParameterRange("a", 1, 200, 1),
                                                 ParameterRange("b", 1, 200, 1)])
    # Node limits O2-8 1-24, O4-12 1-12, O8-16 1-6 (lean-cli optimizer_config_manager).
    form = {"projectId": pid, "name": "wide", "target": "TotalPerformance.PortfolioStatistics."
            "SharpeRatio", "targetTo": "max", "strategy": "QuantConnect.Optimizer.Strategies."
            "GridSearchOptimizationStrategy", "compileId": cid, "estimatedCost": 1,
            "parameters[0][key]": "a", "parameters[0][min]": 1, "parameters[0][max]": 12,
            "parameters[0][step]": 1}
    for node, most, seconds in (("O2-8", 24, 45), ("O4-12", 12, 30), ("O8-16", 6, 20)):
        ok = raw_post(stepped, "/optimizations/estimate",
                      form={**form, "nodeType": node, "parallelNodes": most})
        assert ok["success"] and ok["estimate"]["time"] == -(-12 // most) * seconds, ok
        for refused in (0, most + 1):
            no = raw_post(stepped, "/optimizations/create",
                          form={**form, "nodeType": node, "parallelNodes": refused})
            assert no["success"] is False and "parallelNodes" in no["errors"][0]
            assert f"{node} runs 1 to {most} nodes" in no["errors"][0]
    with pytest.raises(InvalidArgument, match="O8-16 nodes run 1 to 6 in parallel, not 7"):
        client.create_optimization(pid, "wide", parameters=[ParameterRange("a", 1, 2, 1)],
                                   estimated_cost=1, **{**common, "node_type": "O8-16",
                                                        "parallel_nodes": 7})
    assert stepped.app.state.optimizations == {}


def test_lean_cli_form_encoding_for_optimizations(stepped, clock):
    client = make_client(stepped)
    pid, cid = compiled_project(client, clock)
    form = {"projectId": str(pid), "name": "form", "target":
            "TotalPerformance.PortfolioStatistics.SharpeRatio", "targetTo": "max",
            "targetValue": "", "strategy": "QuantConnect.Optimizer.Strategies."
            "GridSearchOptimizationStrategy", "compileId": cid, "estimatedCost": "0.01",
            "nodeType": "O2-8", "parallelNodes": "2",
            "parameters[0][key]": "fast", "parameters[0][min]": "1", "parameters[0][max]": "3",
            "parameters[0][step]": "1", "constraints[0][target]":
            "TotalPerformance.PortfolioStatistics.Drawdown", "constraints[0][operator]":
            "LessOrEqual", "constraints[0][target-value]": "0.25"}
    estimate = raw_post(stepped, "/optimizations/estimate", form=form)
    assert estimate["success"] and estimate["estimate"]["time"] == 90
    created = raw_post(stepped, "/optimizations/create", form=form)
    assert created["success"], created
    oid = created["optimizations"][0]["optimizationId"]
    read = raw_post(stepped, "/optimizations/read", form={"optimizationId": oid})
    assert read["optimization"]["parameters"][0]["name"] == "fast"
    assert read["optimization"]["constraints"][0]["targetValue"] == 0.25


def test_form_encoded_project_update_and_get_with_query(stepped):
    client = make_client(stepped)
    pid = client.create_project("Old")["projectId"]
    assert raw_post(stepped, "/projects/update", form={"projectId": pid, "name": "New"})["success"]
    got = raw_post(stepped, "/projects/read", method="GET", params={"projectId": pid})
    assert got["projects"][0]["name"] == "New"


def test_malformed_json_body_is_a_400(stepped):
    ts = str(int(time.time()))
    r = requests.post(stepped.api_url + "/projects/read", data="{oops",
                      headers={"Timestamp": ts, "Content-Type": "application/json"},
                      auth=(stepped.user_id, signature(stepped.api_token, ts)), timeout=5)
    assert r.status_code == 400 and "not valid JSON" in r.json()["errors"][0]


def test_patch_creates_changes_and_deletes_files_together(stepped):
    client = make_client(stepped)
    pid = client.create_project("Patch")["projectId"]
    client.create_file(pid, "a.py", "one\ntwo\nthree")
    client.create_file(pid, "gone.py", "bye\n")
    client.patch_file(pid, "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -2,2 +2,2 @@\n"
                           " two\n-three\n\\ No newline at end of file\n+THREE\n"
                           "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n"
                           "+++ b/new.py\n@@ -0,0 +1,1 @@\n+fresh\n"
                           "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\n"
                           "--- a/gone.py\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-bye\n")
    files = stepped.cloud_files(pid)
    assert files["a.py"] == "one\ntwo\nTHREE\n" and files["new.py"] == "fresh\n"
    assert "gone.py" not in files


def test_state_dir_persists_across_restarts(tmp_path):
    token = new_token()
    with Emulator(api_token=token, state_dir=tmp_path, time_scale=0.01) as first:
        c = make_client(first)
        pid = c.create_project("Kept")["projectId"]
        c.create_file(pid, "kept.py", "x = 1\n")
        cid = c.create_compile(pid)["compileId"]
        wait_until(lambda: c.read_compile(pid, cid)["state"] == "BuildSuccess")
        bid = c.create_backtest(pid, cid, "kept")["backtestId"]
        stats = wait_until(lambda: c.read_backtest(pid, bid)["statistics"])
    with Emulator(api_token=token, state_dir=tmp_path, time_scale=0.01) as second:
        c = make_client(second)
        assert c.read_file(pid, "kept.py")["content"] == "x = 1\n"
        assert c.read_backtest(pid, bid)["statistics"] == stats
        assert c.create_project("Next")["projectId"] != pid


def test_many_concurrent_clients(emu):
    clients = [make_client(emu) for _ in range(8)]
    pid = clients[0].create_project("Shared")["projectId"]
    failures = []

    def work(i, c):
        try:
            for k in range(15):
                c.create_file(pid, f"c{i}/f{k}.py", f"x = {k}\n")
                c.read_files(pid)
        except Exception as e:  # pragma: no cover - shown by the assert below
            failures.append(e)

    threads = [threading.Thread(target=work, args=(i, c)) for i, c in enumerate(clients)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert failures == []
    assert len(emu.cloud_files(pid)) == 2 + 8 * 15


def test_latency_is_added_to_every_answer(emu):
    c = make_client(emu)
    emu.latency_ms = 120
    started = time.monotonic()
    c.list_projects()
    assert time.monotonic() - started >= 0.12


def test_request_log_holds_no_credentials(client, emu):
    client.list_projects()
    text = json.dumps(emu.requests)
    assert SUITE_TOKEN not in text and "authorization" not in text.lower()


def test_run_all_executes_the_cloud_notebook_and_stores_its_outputs(client, emu):
    import nbformat
    pid = client.create_project("Research")["projectId"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import json\nprint(json.dumps({'sharpe': 1.5}))"),
                nbformat.v4.new_code_cell("21 * 2")]
    client.update_file(pid, "research.ipynb", nbformat.writes(nb))
    answer = raw_post(emu, "/emulator/notebooks/run",
                      {"projectId": pid, "name": "research.ipynb", "wait": True})
    assert answer["state"] == "completed", answer
    ran = nbformat.reads(client.read_file(pid, "research.ipynb")["content"], as_version=4)
    assert ran.cells[0].outputs[0]["text"] == '{"sharpe": 1.5}\n'
    assert ran.cells[1].outputs[0]["data"]["text/plain"] == "42"


def test_emulator_command_serves_and_prints_how_to_connect(tmp_path):
    token = new_token()
    proc = subprocess.Popen([sys.executable, "-m", "qc_magics.cli", "emulator", "--port", "0",
                             "--api-token", token, "--user-id", "55"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert first.startswith("QuantConnect API emulator at http://127.0.0.1:")
        url = first.split(" at ")[1].strip()
        from qc_magics import QCClient
        assert QCClient(user_id="55", api_token=token, api_url=url).authenticate()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_emulator_command_rejects_bad_options():
    out = subprocess.run([sys.executable, "-m", "qc_magics.cli", "emulator", "--fault-rate", "2"],
                         capture_output=True, text=True)
    assert out.returncode == 2 and "--fault-rate" in out.stderr and "from 0 to 1" in out.stderr
    assert out.stderr.count("qc-magics") == 1 and len(out.stderr.splitlines()) == 1

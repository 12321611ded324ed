"""Every QCClient method against the emulator over loopback HTTP, checked against the spec.

Each request body the client sends is validated against the spec's request schema and each answer
the emulator gives against the response schema, widened where the real service is known to differ
(spec.REAL_SERVICE, spec.DECIMAL_STRINGS): the client speaks the spec, the emulator answers as the
service does.
"""
from __future__ import annotations

import json

import pytest

import spec
from conftest import wait_until
from qc_magics.api import Constraint, ParameterRange
from qc_magics.api.transport import Transport

EVERY_ENDPOINT = {
    "/authenticate", "/account/read",
    "/projects/create", "/projects/read", "/projects/update", "/projects/delete",
    "/projects/collaboration/lock/acquire",
    "/files/create", "/files/read", "/files/update", "/files/delete", "/files/patch",
    "/compile/create", "/compile/read",
    "/backtests/create", "/backtests/read", "/backtests/list", "/backtests/update",
    "/backtests/delete", "/backtests/chart/read", "/backtests/orders/read",
    "/backtests/read/insights", "/backtests/read/report",
    "/optimizations/estimate", "/optimizations/create", "/optimizations/read",
    "/optimizations/list", "/optimizations/update", "/optimizations/abort",
    "/optimizations/delete",
}


@pytest.fixture
def exchanges(monkeypatch):
    """Every (endpoint, body sent, answer received) of the test, in order."""
    seen: list[tuple[str, dict, dict]] = []
    original = Transport.post

    def recording_post(self, endpoint, body=None, **kwargs):
        answer = original(self, endpoint, body, **kwargs)
        sent = {k: v for k, v in (body or {}).items() if v is not None}
        seen.append((endpoint, json.loads(json.dumps(sent)), answer))
        return answer

    monkeypatch.setattr(Transport, "post", recording_post)
    return seen


def test_every_client_method_speaks_the_spec(client, emu, exchanges):
    assert client.authenticate() is True
    assert client.read_account()["creditBalance"] == 1000

    p = client.create_project("Spec Walk", language="Py")
    pid = p["projectId"]
    assert {f["name"] for f in client.read_files(pid)} == {"main.py", "research.ipynb"}
    assert [x["projectId"] for x in client.list_projects()] == [pid]
    assert client.read_project(pid)["name"] == "Spec Walk"
    client.update_project(pid, name="Spec Walk 2", description="walks the spec")
    assert client.read_project(pid)["description"] == "walks the spec"
    client.acquire_project_lock(pid)

    client.create_file(pid, "lib/signals.py", "FAST = 10\nSLOW = 50\n")
    assert client.read_file(pid, "lib/signals.py")["content"] == "FAST = 10\nSLOW = 50\n"
    client.update_file(pid, "lib/signals.py", "FAST = 12\nSLOW = 50\n")
    client.patch_file(pid, "diff --git a/lib/signals.py b/lib/signals.py\n"
                           "--- a/lib/signals.py\n+++ b/lib/signals.py\n"
                           "@@ -1,2 +1,2 @@\n-FAST = 12\n+FAST = 15\n SLOW = 50\n")
    assert client.read_file(pid, "lib/signals.py")["content"] == "FAST = 15\nSLOW = 50\n"
    client.rename_file(pid, "lib/signals.py", "lib/params.py")
    client.delete_file(pid, "lib/params.py")
    assert "lib/params.py" not in {f["name"] for f in client.read_files(pid)}

    compiled = client.create_compile(pid)
    assert compiled["state"] == "InQueue"
    wait_until(lambda: client.read_compile(pid, compiled["compileId"])["state"] == "BuildSuccess")

    bt = client.create_backtest(pid, compiled["compileId"], "walk", {"fast": 10, "mode": "x"})
    bid = bt["backtestId"]
    done = wait_until(lambda: (b := client.read_backtest(pid, bid))["statistics"] and b)
    assert done["status"] == "Completed." and done["parameterSet"] == {"fast": 10, "mode": "x"}
    listed = client.list_backtests(pid, include_statistics=True)
    assert listed[0]["backtestId"] == bid and isinstance(listed[0]["sharpeRatio"], float)
    client.update_backtest(pid, bid, name="walk renamed", note="a note")
    assert client.read_backtest(pid, bid)["note"] == "a note"

    # A finished backtest's charts, orders and insights answer at the first read
    # (REAL-SERVICE.md, mcp-server tests).
    chart = client.read_backtest_chart(pid, bid, "Strategy Equity", start=0, end=2_000_000_000,
                                       count=500)
    assert len(chart["chart"]["series"]["Equity"]["values"][0]) == 5
    orders = client.read_backtest_orders(pid, bid, 0, 100)
    assert orders["length"] == 240 and len(orders["orders"]) == 100
    insights = client.read_backtest_insights(pid, bid, 0, 50)
    assert insights["length"] == 120 and len(insights["insights"]) == 50
    report = wait_until(lambda: "report" in (r := client.read_backtest_report(pid, bid)) and r)
    assert report["report"].startswith("<!DOCTYPE html>")

    grid = [ParameterRange("fast", 5, 20, 5), ParameterRange("slow", 40, 60, 10)]
    est = client.estimate_optimization(pid, "grid", target="sharpe", target_to="max",
                                       parameters=grid, constraints=[Constraint("drawdown", "<=", 0.3)],
                                       node_type="O4-12", parallel_nodes=2)
    assert est["time"] > 0 and est["balance"] == 1000
    opt = client.create_optimization(pid, "grid", compile_id=compiled["compileId"],
                                     target="sharpe", target_to="max", parameters=grid,
                                     constraints=[Constraint("drawdown", "<=", 0.3)],
                                     estimated_cost=2.5, node_type="O4-12", parallel_nodes=2)
    oid = opt["optimizationId"]
    assert oid.startswith("O-") and opt["status"] in ("new", "running")
    assert [o["optimizationId"] for o in client.list_optimizations(pid)] == [oid]
    client.update_optimization(oid, "grid renamed")
    read = wait_until(lambda: (o := client.read_optimization(oid))["status"] == "completed" and o)
    assert read["name"] == "grid renamed" and len(read["backtests"]) == 12
    assert all(len(b["statistics"]) == 21 for b in read["backtests"].values())

    second = client.create_optimization(pid, "to abort", compile_id=compiled["compileId"],
                                        target="car", target_to="min", parameters=grid,
                                        estimated_cost=1, node_type="O2-8", parallel_nodes=1)
    client.abort_optimization(second["optimizationId"])
    assert client.read_optimization(second["optimizationId"])["status"] == "aborted"
    client.delete_optimization(second["optimizationId"])
    client.delete_backtest(pid, bid)
    assert client.list_backtests(pid) == []
    client.delete_project(pid)
    assert client.list_projects() == []
    deleted = client.list_projects(include_deleted=True)     # soft: moved to the Recycle Bin
    assert [(x["projectId"], x["name"]) for x in deleted] == [(pid, "Recycle Bin/Spec Walk 2")]

    called = {endpoint for endpoint, _, _ in exchanges}
    assert called == EVERY_ENDPOINT
    problems = []
    for endpoint, body, answer in exchanges:
        if not spec.has_path(endpoint):
            assert endpoint == "/authenticate"   # absent from the spec, served all the same
            assert answer == {"success": True, "errors": []}
            continue
        problems += [f"{endpoint} request {e}" for e in spec.errors(body, spec.request_schema(endpoint))
                     if (endpoint, e) not in spec.KNOWN_GAPS]
        problems += [f"{endpoint} answer {e}" for e in spec.errors(answer, spec.response_schema(endpoint))]
    assert problems == [], "\n".join(problems)


def test_project_paging_and_every_status_string(client, emu):
    ids = [client.create_project(f"P{i}")["projectId"] for i in range(5)]
    assert [p["projectId"] for p in client.list_projects(start=1, end=3)] == ids[1:3]
    pid = ids[0]
    emu.app.timing.scale = 0.3   # slow enough to see every status on the way
    compiled = client.create_compile(pid)
    wait_until(lambda: client.read_compile(pid, compiled["compileId"])["state"] != "InQueue")
    bid = client.create_backtest(pid, compiled["compileId"], "statuses")["backtestId"]
    seen = []
    wait_until(lambda: seen.append(client.read_backtest(pid, bid)["status"]) or
               seen[-1] == "Completed.", timeout=20)
    assert seen[0] == "In Queue..." and "'Running: _%'" in seen and seen[-1] == "Completed."


def test_client_creation_does_no_network_io(emu, monkeypatch):
    import socket

    def refuse(*a, **k):
        raise AssertionError("network I/O while building a client")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    from qc_magics import QCClient
    c = QCClient(**emu.client_kwargs())
    assert repr(c).startswith("QCClient(user_id='4242'")
    assert emu.requests == []

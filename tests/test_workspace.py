"""The workflow layer, tested directly against an in-process emulator: no subprocess, no kernel.

What each action costs on the wire (counted in the emulator's request log), that a session
resolves its project once, that a pulled folder knows its project, and that the defaults and
syntaxes are the same whichever face asks.
"""
from __future__ import annotations

import pytest

from qc_magics.errors import CostNotConfirmed, InvalidArgument
from qc_magics.vocabulary import DEFAULT_PARALLEL_NODES
from qc_magics.widgets.controller import PanelController, run_now
from qc_magics.workspace import Refused, Settings, Workspace


def workspace(folder, project=None) -> Workspace:
    return Workspace(Settings(project=project, folder=str(folder), progress="none",
                              poll_interval=0.01))


@pytest.fixture
def cloud(emu_env, emu, tmp_path):
    """A project named "Flow" with two extra files; its id."""
    ws = workspace(tmp_path / "setup")
    pid = ws.new_project("Flow")["projectId"]
    emu.cloud_write(pid, "lib/helpers.py", "def helper():\n    return 1\n")
    emu.cloud_write(pid, "notes.py", "# notes\n")
    ws.client.close()
    return pid


def endpoints(emu) -> list[str]:
    return [r["endpoint"] for r in emu.requests]


def writes(emu) -> list[str]:
    return [e for e in endpoints(emu) if e.endswith(("/create", "/update", "/delete"))]


# --- requests -------------------------------------------------------------------------------------

def test_pull_one_file_reads_that_file_and_the_project_once_a_session(cloud, emu, tmp_path):
    ws = workspace(tmp_path / "flow", "Flow")
    emu.clear_log()
    ws.pull(["notes.py"])
    first = endpoints(emu)
    assert first.count("/files/read") == 1
    assert sum(e.startswith("/projects/") for e in first) == 1     # the name, looked up once
    emu.clear_log()
    ws.pull(["main.py"])
    assert endpoints(emu) == ["/files/read"]                       # the session knows it now
    assert (tmp_path / "flow" / "notes.py").read_text() == "# notes\n"


def test_status_push_and_a_no_op_push_cost_what_they_must(cloud, emu, tmp_path):
    ws = workspace(tmp_path / "flow", "Flow")
    ws.pull(all=True)
    emu.clear_log()
    assert ws.status().states()["notes.py"] == "in-sync"
    assert endpoints(emu) == ["/files/read"]
    emu.clear_log()
    ws.push(["notes.py"])
    assert writes(emu) == []                                       # nothing changed, nothing sent
    (tmp_path / "flow" / "notes.py").write_text("# notes, edited\n")
    emu.clear_log()
    ws.push(["notes.py"])
    assert sorted(endpoints(emu)) == ["/files/read", "/files/update"]
    assert emu.cloud_files(cloud)["notes.py"] == "# notes, edited\n"
    emu.clear_log()
    ws.push(all=True)
    assert writes(emu) == []                                       # a no-op push writes nothing


def test_a_pulled_folder_knows_its_project(cloud, emu, tmp_path):
    workspace(tmp_path / "flow", "Flow").pull(all=True)
    ws = workspace(tmp_path / "flow")                              # no project given, no default
    emu.clear_log()
    assert ws.status().states()["lib/helpers.py"] == "in-sync"
    assert endpoints(emu) == ["/files/read"]                       # and no lookup for it
    with pytest.raises(Refused, match="no project chosen"):
        workspace(tmp_path / "elsewhere").status()


def test_a_listing_makes_every_project_known(cloud, emu, tmp_path):
    ws = workspace(tmp_path)
    frame = ws.projects()
    assert frame.loc[cloud, "name"] == "Flow"
    emu.clear_log()
    assert ws.project("Flow")["projectId"] == cloud and ws.project(str(cloud))["name"] == "Flow"
    assert endpoints(emu) == []
    with pytest.raises(Refused, match=f"a project named 'Flow' exists \\(id {cloud}\\)"):
        ws.new_project("flow")                                     # any case: one name
    second = ws.new_project("Flow", allow_duplicate=True)["projectId"]
    with pytest.raises(Exception, match=f"several projects are named 'Flow' \\(ids {cloud}, "
                                        f"{second}\\)"):
        ws.project("Flow")                                         # the name is ambiguous now


def test_opening_the_panel_reads_the_project_once(cloud, emu, tmp_path):
    emu.clear_log()
    panel = PanelController(workspace(tmp_path), str(cloud), namespace={}, runner=run_now)
    panel.connect()
    assert panel.files.states()["notes.py"] == "cloud-only"
    # The header (account/read), the project list (a projects/read without id), files, backtests.
    assert sorted(endpoints(emu)) == sorted(["/account/read", "/projects/read", "/files/read",
                                             "/backtests/list"])


# --- the same words everywhere -------------------------------------------------------------------

def test_compile_gives_the_services_state(cloud, emu, tmp_path):
    built = workspace(tmp_path, "Flow").compile()
    assert built["projectId"] == cloud and built["compileId"]
    service = workspace(tmp_path, "Flow").client.read_compile(cloud, built["compileId"])
    assert built["state"] == service["state"] == "BuildSuccess"


def test_parameters_read_the_same_from_a_line_or_a_field(cloud, emu, tmp_path):
    from qc_magics.workspace.words import parameters, ranges
    assert parameters("fast=10 slow=50, symbol=SPY") == {"fast": 10, "slow": 50, "symbol": "SPY"}
    assert parameters(["fast=10", "slow=50", "symbol=SPY"]) == parameters("fast=10 slow=50 "
                                                                           "symbol=SPY")
    assert parameters("note='a b'") == {"note": "a b"}
    assert parameters("a=1,b=2 w=[1,2]") == {"a": 1, "b": 2, "w": [1, 2]}   # no spaces needed
    assert [r.name for r in ranges("a=1:3:1,b=5:10:5")] == ["a", "b"]
    with pytest.raises(InvalidArgument, match="'fast' is given twice"):
        parameters("fast=1 fast=2")
    assert [r.name for r in ranges("a=1:3:1\nb=5:10:5")] == ["a", "b"]
    with pytest.raises(InvalidArgument, match="'a' is given twice"):
        ranges(["a=1:3:1", "a=2:4:1"])


def test_every_face_estimates_with_the_same_defaults(cloud, emu, tmp_path):
    ws = workspace(tmp_path, "Flow")
    direct = ws.estimate_optimization("fast=5:30:5")
    panel = PanelController(ws, str(cloud), namespace={}, runner=run_now)
    panel.estimate_optimization("fast=5:30:5")
    sent = [r["fields"] for r in emu.requests if r["endpoint"] == "/optimizations/estimate"]
    assert [int(f["parallelNodes"]) for f in sent] == [DEFAULT_PARALLEL_NODES] * 2
    assert direct.parallel_nodes == panel.estimate.parallel_nodes == DEFAULT_PARALLEL_NODES
    assert direct.backtests == panel.estimate.backtests == 6


def test_drawdown_is_minimised_unless_told(cloud, emu, tmp_path):
    ws = workspace(tmp_path, "Flow")
    ws.estimate_optimization(["fast=5:10:5"], target="drawdown")
    ws.estimate_optimization(["fast=5:10:5"], target="drawdown", direction="max")
    sent = [r["fields"]["targetTo"] for r in emu.requests
            if r["endpoint"] == "/optimizations/estimate"]
    assert sent == ["min", "max"]


def test_a_run_is_held_to_the_estimate_accepted(cloud, emu, tmp_path):
    ws = workspace(tmp_path, "Flow")
    accepted = ws.estimate_optimization(["fast=5:30:5"])
    cheaper = type(accepted)(**{**accepted.__dict__, "cost": accepted.cost / 2})
    emu.clear_log()
    with pytest.raises(CostNotConfirmed, match="rose to"):
        ws.run_optimization(["fast=5:30:5"], confirmed=cheaper, wait=False)
    assert "/optimizations/create" not in endpoints(emu) and "/compile/create" not in \
        endpoints(emu)
    with pytest.raises(CostNotConfirmed):
        ws.run_optimization(["fast=5:30:5"], wait=False)          # no yes of any kind
    opt = ws.run_optimization(["fast=5:30:5"], confirmed=accepted, wait=False)
    assert opt.id and endpoints(emu).count("/optimizations/create") == 1


def test_a_backtest_run_and_read_back(cloud, emu, tmp_path):
    ws = workspace(tmp_path, "Flow")
    seen = []
    bt = ws.run_backtest("flow run", {"fast": 10}, on_progress=lambda f, s: seen.append(f))
    assert bt.done and seen and 0 <= min(seen) <= max(seen) <= 1
    created = [r["fields"] for r in emu.requests if r["endpoint"] == "/backtests/create"]
    assert created[-1]["backtestName"] == "flow run"
    again = ws.backtest(bt.id)
    assert again.statistics["Sharpe Ratio"] == bt.statistics["Sharpe Ratio"]
    assert list(ws.backtests().index) == [bt.id]
    compared = ws.compare([bt.id])
    assert [b.id for b in compared.backtests] == [bt.id]
    with pytest.raises(Exception, match="no backtest nope, gone"):
        ws.compare([bt.id, "nope", "gone"])

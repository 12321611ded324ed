"""`qc-magics` as a subprocess for each subcommand: output, --json, and exit codes."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import SUITE_TOKEN


@pytest.fixture
def run(emu, tmp_path):
    emu.app.timing.scale = 0.02
    env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
           "QC_API_URL": emu.api_url, "QC_MAGICS_CONFIG_DIR": str(tmp_path / "cfg")}
    work = tmp_path / "work"
    work.mkdir()

    def qc(*args, stdin: str | None = None, json_out: bool = False):
        argv = [sys.executable, "-m", "qc_magics.cli", *args] + (["--json"] if json_out else [])
        out = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=work,
                             input=stdin, timeout=120)
        assert SUITE_TOKEN not in out.stdout + out.stderr
        if json_out and out.returncode == 0:
            return out.returncode, json.loads(out.stdout), out.stderr
        return out.returncode, out.stdout, out.stderr

    qc.work = work
    return qc


def test_usage_errors_exit_2_with_one_line(run):
    code, out, err = run("pul")
    assert code == 2 and err.strip() == "qc-magics: unknown subcommand 'pul'; did you mean " \
                                        "qc-magics pull?"
    code, out, err = run("files")
    assert code == 2 and "no project chosen" in err and "Traceback" not in err
    code, out, err = run("projects", "--out", "x")
    assert code == 2 and "--json" in err
    code, out, err = run("panel")
    assert code == 2 and "notebook widget" in err


def test_api_errors_exit_1(run):
    code, out, err = run("files", "--project", "Nope")
    assert code == 1 and "project 'Nope' not found" in err


def test_help_lists_everything(run):
    code, out, err = run("help")
    assert code == 0 and "optimize run" in out and "emulator" in out and "--json" in out
    code, out, err = run("help", "push")
    assert code == 0 and "--keep-outputs" in out


def test_project_commands_and_json(run):
    code, created, _ = run("new", "CLI Project", json_out=True)
    assert code == 0 and created["name"] == "CLI Project"
    pid = created["projectId"]
    code, projects, _ = run("projects", json_out=True)
    assert [p["project_id"] for p in projects] == [pid]
    code, out, _ = run("use", "CLI Project")
    assert code == 0 and f"(id {pid})" in out
    code, files, _ = run("files", json_out=True)         # the default project was remembered
    assert sorted(f["name"] for f in files) == ["main.py", "research.ipynb"]
    code, who, _ = run("whoami", json_out=True)
    assert who["user_id"] == "4242" and "*" in who["api_token"]


def test_sync_commands(run, emu):
    _, created, _ = run("new", "Files", json_out=True)
    pid = created["projectId"]
    run("use", str(pid))
    code, status, _ = run("status", json_out=True)
    assert {s["state"] for s in status} == {"cloud-only"}
    code, pulled, _ = run("pull", "--all", json_out=True)
    assert sorted(a["name"] for a in pulled["actions"]) == ["main.py", "research.ipynb"]
    (run.work / "main.py").write_text("y = 2\n")
    code, out, _ = run("diff", "main.py")
    assert code == 0 and "+y = 2" in out
    code, pushed, _ = run("push", "main.py", json_out=True)
    assert pushed["actions"][0]["action"] == "pushed"
    code, out, _ = run("write", "notes.py", stdin="NOTE = 'from stdin'\n")
    assert code == 0 and emu.cloud_files(pid)["notes.py"] == "NOTE = 'from stdin'\n"
    code, out, _ = run("mv", "notes.py", "docs/notes.py")
    assert code == 0 and "docs/notes.py" in emu.cloud_files(pid)
    code, out, err = run("rm", "docs/notes.py")
    assert code == 2 and "add --yes" in err
    code, out, _ = run("rm", "docs/notes.py", "--yes")
    assert code == 0 and "docs/notes.py" not in emu.cloud_files(pid)


def test_outputs_and_wait(run, emu):
    _, created, _ = run("new", "Research", json_out=True)
    pid = created["projectId"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('hello')")]
    (run.work / "r.ipynb").write_text(nbformat.writes(nb))
    run("push", "r.ipynb", "--project", str(pid))
    emu.run_notebook(pid, "r.ipynb")
    code, report, _ = run("wait", "r.ipynb", "--project", str(pid), "--timeout", "30",
                          json_out=True)
    assert code == 0 and report["actions"][0]["action"] == "pulled"
    code, cells, _ = run("outputs", "r.ipynb", "--project", str(pid), json_out=True)
    assert cells[0]["stdout"] == "hello\n"


def test_backtest_commands(run, emu):
    from conftest import make_client
    _, created, _ = run("new", "Runs", json_out=True)
    pid = str(created["projectId"])
    code, compiled, _ = run("compile", "--project", pid, json_out=True)
    service = make_client(emu).read_compile(int(pid), compiled["compileId"])
    assert (compiled["state"], compiled["logs"]) == (service["state"], service["logs"])
    code, bt, _ = run("backtest", "--project", pid, "--name", "cli", "--param", "x=1",
                      json_out=True)
    assert code == 0 and bt["status"] == "Completed." and "Sharpe Ratio" in bt["statistics"]
    code, text, _ = run("backtest", "read", bt["backtestId"], "--project", pid)
    assert code == 0 and "Sharpe Ratio" in text
    code, table, _ = run("backtests", "--project", pid, json_out=True)
    assert [b["backtest_id"] for b in table] == [bt["backtestId"]]
    code, cmp, _ = run("compare", bt["backtestId"], "--project", pid, json_out=True)
    assert cmp["statistics"][0]["statistic"] == "Total Orders"
    assert run("backtest", "rename", bt["backtestId"], "renamed", "--project", pid)[0] == 0
    assert run("backtest", "delete", bt["backtestId"], "--project", pid, "--yes")[0] == 0
    code, table, _ = run("backtests", "--project", pid, json_out=True)
    assert table == []


def test_optimize_commands(run):
    _, created, _ = run("new", "Opt", json_out=True)
    pid = str(created["projectId"])
    grid = ["--param", "a=1:3:1", "--param", "b=10:20:10", "--project", pid]
    code, est, _ = run("optimize", "estimate", *grid, json_out=True)
    assert code == 0 and est["backtests"] == 6
    code, out, err = run("optimize", "run", *grid)
    assert code == 2 and "cannot ask for confirmation here" in err and "Estimate:" in err
    code, opt, _ = run("optimize", "run", *grid, "--yes", json_out=True)
    assert code == 0 and opt["status"] == "completed" and len(opt["grid"]) == 6
    code, listed, _ = run("optimizations", "--project", pid, json_out=True)
    assert [o["optimization_id"] for o in listed] == [opt["optimizationId"]]
    code, read, _ = run("optimize", "read", opt["optimizationId"], json_out=True)
    assert read["status"] == "completed"
    code, out, err = run("optimize", "abort", opt["optimizationId"])
    assert code == 1 and "already completed" in err
    assert run("optimize", "delete", opt["optimizationId"], "--yes")[0] == 0


def test_login_without_a_terminal_refuses(run):
    code, out, err = run("login")
    assert code == 2 and "can prompt" in err


def test_demo_runs_the_quick_start_flow_without_an_account(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    out = subprocess.run([sys.executable, "-m", "qc_magics.cli", "demo", "--time-scale", "0.05"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    for step in ("pulled", "pushed", "Key statistics", "Sharpe Ratio", "First orders",
                 "Optimization Estimate:"):
        assert step in out.stdout, step
    # Statistics as QuantConnect users read them, with the backtest named by its id.
    assert re.search(r"backtest [0-9a-f]{32} 'Demo backtest': Completed\.", out.stdout)
    assert re.search(r"Net Profit +-?\d+\.\d\d%", out.stdout)
    assert re.search(r"Total Fees +\$[\d,]+\.\d\d", out.stdout)


def test_demo_lab_serves_the_examples_wired_to_the_emulator(tmp_path):
    import socket
    import time

    import requests
    pytest.importorskip("jupyterlab")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("QC_")}
    proc = subprocess.Popen([sys.executable, "-m", "qc_magics.cli", "demo", "--lab", "--port",
                             str(port), "--dir", str(tmp_path / "examples")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        first = proc.stdout.readline()
        examples = len(list((Path(__file__).parents[1] / "example_notebooks").glob("*.ipynb")))
        assert first.startswith("Emulator at http://127.0.0.1:") and f"copied {examples}" in first
        for _ in range(240):
            try:
                if requests.get(f"http://127.0.0.1:{port}/api", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.25)
        else:
            raise AssertionError("JupyterLab did not come up")
        assert sorted(p.name for p in (tmp_path / "examples").glob("*.ipynb"))[0] == \
            "01_quick_start.ipynb"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    leftovers = subprocess.run(["pgrep", "-f", f"ServerApp.port={port}"], capture_output=True,
                               text=True).stdout.split()
    assert leftovers == []      # JupyterLab went down with the command


def test_an_invalid_local_notebook_is_one_line_not_a_traceback(run):
    _, created, _ = run("new", "Broken", json_out=True)
    (run.work / "bad.ipynb").write_text("{ not json")
    code, out, err = run("outputs", "bad.ipynb", "--project", str(created["projectId"]))
    assert code == 1 and "Traceback" not in err
    assert err.startswith("qc-magics: bad.ipynb is not a valid notebook: not valid JSON")


# --- start-up: a text report of a sync imports no more than it needs ----------------------------

HEAVY = ("pandas", "numpy", "nbformat", "jsonschema", "ipywidgets", "IPython", "matplotlib")
REPORT_IMPORTS = ("import sys\nfrom qc_magics.cli import main\ncode = main(sys.argv[1:])\n"
                  f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n"
                  "sys.exit(code)\n")


def test_status_pull_and_push_as_text_import_neither_pandas_nor_nbformat(run, emu, tmp_path):
    """Run as `qc-magics` runs them, in a fresh interpreter; which modules were loaded at the
    end is the check (not a timing). --json of status still gives the frame's records."""
    from conftest import make_client
    client = make_client(emu)
    pid = client.create_project("Light")["projectId"]
    folder = str(tmp_path / "light")

    def imports(*args):
        out = subprocess.run([sys.executable, "-c", REPORT_IMPORTS, *args], capture_output=True,
                             text=True, env=run_env, cwd=run.work, timeout=120)
        assert out.returncode == 0, out.stderr
        line = next(li for li in out.stderr.splitlines() if li.startswith("HEAVY "))
        return eval(line[len("HEAVY "):]), out.stdout

    run_env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
               "QC_API_URL": emu.api_url, "QC_MAGICS_CONFIG_DIR": str(tmp_path / "cfg")}
    project = ["--project", str(pid), "--to", folder]
    assert imports("pull", "--all", *project)[0] == []
    heavy, text = imports("status", *project)
    assert heavy == [] and "research.ipynb" in text and "in-sync" in text
    with open(os.path.join(folder, "main.py"), "a") as f:
        f.write("# edited\n")
    heavy, text = imports("push", "--all", *project)
    assert heavy == [] and "pushed" in text
    assert imports("push", "--all", *project)[0] == []          # nothing to send
    heavy, _ = imports("status", "--json", *project)            # JSON goes through the frame
    assert "pandas" in heavy


def test_new_whoami_and_backtest_rename_say_one_line(run, emu):
    code, out, _ = run("new", "One Line")
    assert code == 0 and re.fullmatch(r"created project 'One Line' \(id \d+, Py\)\n", out)
    code, out, _ = run("whoami")
    assert code == 0 and out.count("\n") == 1 and out.startswith(f"user {emu.user_id} in ")
    assert "token " in out and "*" in out and "(from environment)" in out
    run("use", "One Line")
    _, bt, _ = run("backtest", "--name", "first", json_out=True)
    code, out, _ = run("backtest", "rename", bt["backtestId"], "second")
    assert code == 0 and out == f"renamed backtest {bt['backtestId']} to 'second'\n"


def test_rm_force_removes_a_file_whose_cloud_copy_changed(run, emu):
    _, created, _ = run("new", "Forced", json_out=True)
    run("use", "Forced")
    run("pull", "--all")
    emu.cloud_write(created["projectId"], "main.py", "changed in the cloud\n")
    code, out, _ = run("rm", "main.py", "--yes")
    assert code == 1 and "remove with --force" in out
    code, out, _ = run("rm", "main.py", "--yes", "--force")
    assert code == 0 and "cloud copy backed up" in out
    assert "main.py" not in emu.cloud_files(created["projectId"])


# --- what users read: messages in this face's words ----------------------------------------------

def test_api_errors_reach_the_user_without_their_endpoint():
    from qc_magics.commands.creates import explain
    from qc_magics.errors import ApiError, TransportError, user_text
    error = ApiError("/backtests/read", ["Backtest not found: abc"])
    assert str(error).startswith("/backtests/read: ")          # kept for logs
    assert user_text(error) == "Backtest not found: abc"
    from qc_magics.errors import InvalidArgument
    assert user_text(InvalidArgument("/files/update: a value cannot be sent")) == \
        "a value cannot be sent"
    assert user_text(InvalidArgument("/tmp/x: not a folder")) == "/tmp/x: not a folder"
    lost = TransportError("/backtests/create: the service answered HTTP 502",
                          endpoint="/backtests/create", status=502, may_have_acted=True)
    said = str(explain(lost, "qc-magics", "Momentum"))
    assert "/backtests" not in said and said.startswith("creating the backtest: the service "
                                                        "answered HTTP 502")
    assert "qc-magics backtests --project Momentum" in said


def test_a_dry_run_says_what_it_would_do_and_that_nothing_changed():
    from qc_magics.sync import SyncReport
    report = SyncReport("remove", dry_run=True)
    report.add("lib/utils.py", "removed", "in-sync")
    report.add("main.py", "pushed", "local-changed")
    text = str(report)
    assert "would delete" in text and "would push" in text and "removed" not in text
    assert text.splitlines()[-1] == "dry run: nothing was changed"
    assert report.summary() == "would delete lib/utils.py; would push main.py"
    done = SyncReport("push")
    done.add("main.py", "pushed", "local-changed")
    assert "pushed" in str(done) and "dry run" not in str(done)


def test_status_shows_a_dash_where_a_side_has_no_file():
    from qc_magics.commands.render import status_table
    from qc_magics.sync.status import FileStatus, StatusReport
    report = StatusReport(1, "/tmp/x", [
        FileStatus("main.py", "cloud-only", None, 394, None, "2024-03-01 14:05:00"),
        FileStatus("new.py", "local-only", 12, None, 1_709_301_900.0, None)])
    lines = status_table(report).splitlines()
    assert lines[0].split()[-2:] == ["cloud", "modified"]     # no empty note column
    assert lines[1].split()[2] == "—" and lines[1].split()[4] == "—"
    assert lines[2].split()[-1] == "—" and "2024-03-01 14:05:00" in lines[2]
    assert not any(word in line for line in lines for word in ("None", "NaN", "NaT"))


def test_a_list_piped_into_head_ends_quietly(run, emu):
    for i in range(3):
        run("new", f"Piped {i}")
    env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
           "QC_API_URL": emu.api_url}
    out = subprocess.run(f"{sys.executable} -m qc_magics.cli projects | head -1", shell=True,
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.split() == ["id", "name", "language", "created", "modified"]


PERCENT_STATISTICS = ["Probabilistic Sharpe Ratio", "Compounding Annual Return", "Drawdown",
                      "Net Profit", "Win Rate", "Loss Rate", "Average Win", "Average Loss"]


def test_percent_statistics_have_one_unit_in_every_json(run):
    """A percentage is a fraction in every --json (77.188 % is 0.77188), whether it was reached
    through a backtest, an optimization's child, or either list; the text shows "77.19%"."""
    _, created, _ = run("new", "Units", json_out=True)
    pid = str(created["projectId"])
    code, opt, _ = run("optimize", "run", "--param", "a=1:2:1", "--project", pid, "--yes",
                       json_out=True)
    assert code == 0 and len(opt["grid"]) == 2
    for row in opt["grid"]:
        code, bt, _ = run("backtest", "read", row["backtest_id"], "--project", pid,
                          json_out=True)
        assert code == 0
        for label in PERCENT_STATISTICS:
            assert bt["statistics"][label] == pytest.approx(row[label], abs=1e-12), label
        assert 0 <= bt["statistics"]["Probabilistic Sharpe Ratio"] <= 1
        assert bt["runtimeStatistics"]["Probabilistic Sharpe Ratio"] == \
            pytest.approx(row["Probabilistic Sharpe Ratio"], abs=1e-12)
        code, text, _ = run("backtest", "read", row["backtest_id"], "--project", pid)
        psr = row["Probabilistic Sharpe Ratio"]
        assert re.search(rf"Probabilistic Sharpe Ratio +{psr * 100:.2f}%\n", text), text
    code, listed, _ = run("optimizations", "--project", pid, json_out=True)
    best_psr = max(r["Probabilistic Sharpe Ratio"] for r in opt["grid"]
                   if r["Sharpe Ratio"] == max(g["Sharpe Ratio"] for g in opt["grid"]))
    assert listed[0]["psr"] == pytest.approx(best_psr, abs=1e-12)
    code, text, _ = run("optimizations", "--project", pid)
    assert f"{best_psr * 100:.2f}%" in text
    code, backtests, _ = run("backtests", "--project", pid, json_out=True)
    for b in backtests:
        assert all(b[k] is None or abs(b[k]) <= 1 for k in ("psr", "win_rate", "loss_rate"))

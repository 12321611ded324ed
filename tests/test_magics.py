"""Every %qc subcommand through a test InteractiveShell, against the emulator."""
from __future__ import annotations

import sys

import nbformat
import pandas as pd
import pytest
from IPython.core.error import UsageError

from conftest import SUITE_TOKEN, qc
from qc_magics.results import Backtest, Comparison, Optimization
from qc_magics.sync import Diff, NotebookOutputs, SyncReport


@pytest.fixture(scope="module")
def shell(ipshell):
    ip = ipshell
    ip.run_line_magic("load_ext", "qc_magics")
    yield ip
    ip.run_line_magic("unload_ext", "qc_magics")


@pytest.fixture
def ip(shell, emu, tmp_path, monkeypatch):
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    magics = shell.magics_manager.registry["QCMagics"]
    magics.session.reset_client()
    shell.run_line_magic("config", f"QCMagics.folder = {str(tmp_path)!r}")
    shell.run_line_magic("config", "QCMagics.progress = 'none'")
    shell.run_line_magic("config", "QCMagics.poll_interval = 0.01")
    shell.run_line_magic("config", "QCMagics.project = None")
    emu.app.timing.scale = 0.02
    yield shell
    magics.session.reset_client()




def test_help_overview_and_per_command(ip, capsys):
    assert qc(ip, "") is None
    text = capsys.readouterr().out
    assert "pull" in text and "optimize run" in text and "panel" in text
    qc(ip, "help push")
    assert "--keep-outputs" in capsys.readouterr().out
    qc(ip, "push --help")
    assert "--dry-run" in capsys.readouterr().out


@pytest.mark.parametrize("line, message", [
    ("pul --all", "unknown subcommand 'pul'; did you mean %qc pull?"),
    ("push --bogus", "%qc push: unrecognized arguments: --bogus"),
    ("status 'unclosed", "cannot read the line"),
    ("files", "no project chosen: add --project P, or run %qc use PROJECT once"),
    ("login abc123", "a token typed there would be kept in the notebook"),
    ("projects --out 1x", "--out takes a Python variable name"),
    ("optimize estimate --param a=1:x:1 --project 1", "a parameter range is NAME=MIN:MAX:STEP"),
])
def test_mistakes_are_one_line_usage_errors(ip, line, message):
    with pytest.raises(UsageError) as e:
        qc(ip, line)
    assert message in str(e.value)


def test_api_errors_are_usage_errors_without_traceback(ip, emu):
    with pytest.raises(UsageError, match=r"project 'Nope' not found"):
        qc(ip, "files --project Nope")
    ip.run_line_magic("config", "QCMagics.show_tracebacks = True")
    try:
        with pytest.raises(Exception) as e:
            qc(ip, "files --project Nope")
        assert type(e.value).__name__ == "NotFoundError"
    finally:
        ip.run_line_magic("config", "QCMagics.show_tracebacks = False")


def test_loading_does_no_network_and_imports_nothing_heavy():
    import subprocess
    code = ("import sys, socket\n"
            "socket.socket.connect = lambda *a: (_ for _ in ()).throw(SystemExit('network'))\n"
            "from IPython.testing.globalipapp import start_ipython\n"
            "ip = start_ipython()\n"
            "before = set(sys.modules)\n"
            "ip.run_line_magic('load_ext', 'qc_magics')\n"
            "heavy = [m for m in ('pandas', 'ipywidgets', 'matplotlib', 'requests') "
            "if m in sys.modules and m not in before]\n"
            "print(heavy, 'qc' in ip.magics_manager.magics['line'])\n"
            "ip.run_line_magic('unload_ext', 'qc_magics')\n"
            "print('qc' in ip.magics_manager.magics['line'])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[] True", "False"]


def test_projects_use_new_whoami_and_config(ip, emu, capsys):
    created = qc(ip, "new 'Momentum Breakout'")
    assert created["name"] == "Momentum Breakout"
    frame = qc(ip, "projects")
    assert isinstance(frame, pd.DataFrame) and frame["name"].tolist() == ["Momentum Breakout"]
    with pytest.raises(UsageError, match=r"project 'Momentum' not found; did you mean "
                                         r"'Momentum Breakout' \(id \d+\)\?"):
        qc(ip, "use Momentum")
    qc(ip, "use 'Momentum Breakout'")
    assert "default project: 'Momentum Breakout'" in capsys.readouterr().out
    magics = ip.magics_manager.registry["QCMagics"]
    assert magics.project == str(created["projectId"])
    who = qc(ip, "whoami")
    assert who["user_id"] == emu.user_id and who["api_url"] == emu.api_url
    assert SUITE_TOKEN not in repr(who) and "*" in who["api_token"]
    qc(ip, "projects --out found")
    assert ip.user_ns["found"].index.tolist() == [created["projectId"]]


def test_files_status_pull_push_diff_write_mv_rm(ip, emu, tmp_path):
    pid = qc(ip, "new Sync")["projectId"]
    qc(ip, "use Sync")
    assert sorted(qc(ip, "files").index) == ["main.py", "research.ipynb"]
    assert set(qc(ip, "status")["state"]) == {"cloud-only"}
    report = qc(ip, "pull --all")
    assert isinstance(report, SyncReport) and sorted(report.changed) == ["main.py",
                                                                          "research.ipynb"]
    (tmp_path / "main.py").write_text("x = 1\n")
    assert qc(ip, "status main.py")["state"].tolist() == ["local-changed"]
    diff = qc(ip, "diff main.py")
    assert isinstance(diff, Diff) and "+x = 1" in str(diff)
    assert qc(ip, "push main.py --dry-run").actions[0].action == "pushed"
    assert qc(ip, "push main.py").changed == ["main.py"]
    assert emu.cloud_files(pid)["main.py"] == "x = 1\n"
    qc(ip, "write lib/helpers.py", "def helper():\n    return 42\n")
    assert emu.cloud_files(pid)["lib/helpers.py"] == "def helper():\n    return 42\n"
    assert (tmp_path / "lib" / "helpers.py").exists()
    qc(ip, "mv lib/helpers.py lib/tools.py")
    assert "lib/tools.py" in emu.cloud_files(pid) and (tmp_path / "lib" / "tools.py").exists()
    with pytest.raises(UsageError, match="cannot ask for confirmation here; add --yes"):
        qc(ip, "rm lib/tools.py")
    qc(ip, "rm lib/tools.py --yes")
    assert "lib/tools.py" not in emu.cloud_files(pid)
    emu.cloud_write(pid, "main.py", "x = 2\n")
    (tmp_path / "main.py").write_text("x = 3\n")
    with pytest.raises(UsageError, match="%%qc is for"):
        qc(ip, "push main.py", "cell body")
    report = qc(ip, "push main.py")
    assert report.refused and "pull first" in report.refused[0].detail
    pulled = qc(ip, "pull main.py")
    assert pulled.conflicts and (tmp_path / "main.cloud.py").read_text() == "x = 2\n"


def test_push_with_params_outputs_and_wait(ip, emu, tmp_path):
    pid = qc(ip, "new Research")["projectId"]
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("n = 1", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("print(n * 2)", metadata={"tags": ["double"]})]
    (tmp_path / "study.ipynb").write_text(nbformat.writes(nb))
    ip.user_ns["n_value"] = 21
    qc(ip, "push study.ipynb --project Research --param n=$n_value")
    sent = nbformat.reads(emu.cloud_files(pid)["study.ipynb"], as_version=4)
    assert sent.cells[1].source.endswith("n = 21\n")
    emu.run_notebook(pid, "study.ipynb")
    report = qc(ip, "wait study.ipynb --project Research --timeout 30")
    assert report.changed == ["study.ipynb"]
    outputs = qc(ip, "outputs study.ipynb --project Research")
    assert isinstance(outputs, NotebookOutputs) and outputs["double"].stdout == "42\n"
    qc(ip, "outputs study.ipynb --project Research --out out")
    assert ip.user_ns["out"]["double"].value == 42


def test_status_in_a_notebook_shows_dashes_not_nat(ip, emu, tmp_path):
    pid = qc(ip, "new Dashes")["projectId"]
    qc(ip, f"use {pid}")
    qc(ip, "pull main.py")
    status = qc(ip, "status")
    assert status["local_modified"].isna().sum() == len(status) - 1   # cloud-only: no time
    html = status._repr_html_()
    assert "NaT" not in html and "&lt;NA&gt;" not in html and "—" in html


def test_compile_backtest_and_results(ip, emu):
    pid = qc(ip, "new Runs")["projectId"]
    qc(ip, f"use {pid}")
    compiled = qc(ip, "compile")   # the state and logs the service gave, not a fixed string
    service = ip.magics_manager.registry["QCMagics"].session.client.read_compile(
        pid, compiled["compileId"])
    assert (compiled["state"], compiled["logs"]) == (service["state"], service["logs"])
    bt = qc(ip, "backtest --name first --param ema=10")   # 10 is sent as a number and kept so
    assert isinstance(bt, Backtest) and bt.done and bt.parameters == {"ema": 10}
    html = bt._repr_html_()      # the name shown, escaped, with the state and formatted statistics
    assert "&#x27;first&#x27;: Completed." in html and "Sharpe Ratio" in html and "e+" not in html
    qc(ip, "backtest --name second --no-wait --out pending")
    pending = ip.user_ns["pending"]
    assert isinstance(pending, Backtest)
    read = qc(ip, f"backtest read {pending.id} --wait")
    assert read.done
    table = qc(ip, "backtests")
    assert table["name"].tolist() == ["second", "first"]   # newest first
    # Every field is there; the notebook shows the compact view: key columns, no NaT, no e+.
    assert isinstance(table, pd.DataFrame) and "sortino_ratio" in table.columns
    html = table._repr_html_()
    assert html.count("<th") < 16 and "NaT" not in html and "e+" not in html
    assert "Sharpe" in html and bt.id in html and "sortino" not in html.lower()
    assert type(table[["name"]]) is pd.DataFrame and table.full.shape == table.shape
    both = qc(ip, f"compare {bt.id} {pending.id}")
    assert isinstance(both, Comparison) and list(both.statistics.columns) == ["first", "second"]
    qc(ip, f"backtest rename {bt.id} renamed")
    assert Backtest(bt.client, pid, bt.id).name == "renamed"
    qc(ip, f"backtest delete {pending.id} --yes")
    assert qc(ip, "backtests").index.tolist() == [bt.id]


def test_ctrl_c_during_a_wait_prints_the_resume_command_and_keeps_the_handle(ip, emu, monkeypatch,
                                                                             capsys):
    qc(ip, "new Interrupt")
    qc(ip, "use Interrupt")

    def interrupted(self):
        raise KeyboardInterrupt   # Ctrl-C while following the backtest

    monkeypatch.setattr(Backtest, "refresh", interrupted)
    assert qc(ip, "backtest --out handle") is None
    text = capsys.readouterr().out
    handle = ip.user_ns["handle"]
    assert isinstance(handle, Backtest)
    assert f"Resume with: %qc backtest read {handle.id} --wait" in text
    assert "The handle is in handle." in text
    assert emu.count("/backtests/delete") == 0


def test_optimize_estimate_run_read_abort_delete(ip, emu, capsys):
    qc(ip, "new Grid")
    qc(ip, "use Grid")
    params = "--param fast=5:15:5 --param slow=50:100:50 --target sharpe --node O4-12 --parallel 2"
    estimate = qc(ip, f"optimize estimate {params}")
    assert estimate.backtests == 6 and estimate.parallel_nodes == 2
    assert repr(estimate).startswith("Estimate: 6 backtests")   # what the notebook shows
    with pytest.raises(UsageError, match="cannot ask for confirmation here; add --yes or "
                                         "--max-cost USD"):
        qc(ip, f"optimize run {params}")
    assert emu.count("/optimizations/create") == 0
    assert "Estimate: 6 backtests" in capsys.readouterr().out
    with pytest.raises(UsageError, match="over the maximum"):
        qc(ip, f"optimize run {params} --max-cost 0.001")
    opt = qc(ip, f"optimize run {params} --yes --constraint 'drawdown <= 0.5'")
    assert isinstance(opt, Optimization) and opt.status == "completed" and len(opt.grid) == 6
    assert qc(ip, "optimizations").index.tolist() == [opt.id]
    assert qc(ip, f"optimize read {opt.id}").status == "completed"
    emu.app.timing.scale = 1.0
    slow = qc(ip, "optimize run --param a=1:10:1 --yes --no-wait")
    assert qc(ip, f"optimize abort {slow.id}").status == "aborted"
    qc(ip, f"optimize delete {slow.id} --yes")
    assert qc(ip, "optimizations").index.tolist() == [opt.id]


def test_optimize_run_asks_and_honours_the_answer(ip, emu, monkeypatch):
    qc(ip, "new Ask")
    qc(ip, "use Ask")
    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(UsageError, match="cancelled; nothing was changed"):
        qc(ip, "optimize run --param a=1:3:1")
    assert emu.count("/optimizations/create") == 0
    assert qc(ip, "optimize run --param a=1:3:1").status == "completed"


def test_login_prompts_checks_and_saves(ip, emu, monkeypatch, tmp_path):
    monkeypatch.delenv("QC_USER_ID")
    monkeypatch.delenv("QC_API_TOKEN")
    monkeypatch.setenv("QC_MAGICS_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.setattr("builtins.input", lambda prompt: emu.user_id)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "wrong-token")
    with pytest.raises(UsageError, match="refused the credentials"):
        qc(ip, "login")
    assert not (tmp_path / "cfg" / "credentials.json").exists()
    monkeypatch.setattr("getpass.getpass", lambda prompt: emu.api_token)
    qc(ip, "login")
    assert (tmp_path / "cfg" / "credentials.json").stat().st_mode & 0o777 == 0o600
    assert qc(ip, "whoami")["credentials_from"].endswith("credentials.json")


def test_variable_expansion_in_lines(ip, emu):
    pid = qc(ip, "new Expand")["projectId"]
    ip.user_ns["which"] = pid
    assert sorted(qc(ip, "files --project {which}").index) == ["main.py", "research.ipynb"]

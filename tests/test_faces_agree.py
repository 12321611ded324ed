"""The panel, `%qc` and `qc-magics` are three faces of one workspace: the same action through each
gives the same result (files on disk, states, estimates, what the service was sent)."""
from __future__ import annotations

import json

import pytest

from conftest import qc
from qc_magics.cli import main
from qc_magics.widgets.controller import PanelController, run_now
from qc_magics.workspace import Settings, Workspace


@pytest.fixture
def flow(emu_env, emu, tmp_path):
    ws = Workspace(Settings(folder=str(tmp_path / "setup"), progress="none", poll_interval=0.01))
    pid = ws.new_project("Agree")["projectId"]
    emu.cloud_write(pid, "lib/helpers.py", "def helper():\n    return 1\n")
    ws.client.close()
    return pid


@pytest.fixture
def ip(ipshell, tmp_path):
    ipshell.run_line_magic("load_ext", "qc_magics")
    magics = ipshell.magics_manager.registry["QCMagics"]
    magics.workspace.reconnect()
    for line in ("QCMagics.progress = 'none'", "QCMagics.poll_interval = 0.01",
                 "QCMagics.project = None", f"QCMagics.folder = {str(tmp_path / 'magic')!r}"):
        ipshell.run_line_magic("config", line)
    yield ipshell
    magics.workspace.reconnect()
    ipshell.run_line_magic("unload_ext", "qc_magics")


def cli_json(capsys, *argv: str):
    capsys.readouterr()
    code = main(["--json", *argv])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def panel(tmp_path, project) -> PanelController:
    c = PanelController(Workspace(Settings(folder=str(tmp_path / "panel"), progress="none",
                                           poll_interval=0.01), prog="%qc"),
                        str(project), namespace={}, runner=run_now)
    c.connect()
    return c


def tree(root) -> dict[str, str]:
    """The files a face left on disk, without its sync records (they hold times)."""
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    return {p.relative_to(root).as_posix(): p.read_text() for p in files
            if not any(part.startswith(".qc") for part in p.relative_to(root).parts)}


def test_pull_and_status_agree(flow, emu, ip, tmp_path, capsys):
    cli_json(capsys, "pull", "--all", "--project", "Agree", "--to", str(tmp_path / "cli"))
    qc(ip, "pull --all --project Agree")
    c = panel(tmp_path, flow)
    c.pull(["main.py", "research.ipynb", "lib/helpers.py"])
    trees = [tree(tmp_path / face) for face in ("cli", "magic", "panel")]
    assert trees[0] == trees[1] == trees[2] and "lib/helpers.py" in trees[0]

    (tmp_path / "cli" / "main.py").write_text("# changed here\n")
    (tmp_path / "magic" / "main.py").write_text("# changed here\n")
    (tmp_path / "panel" / "main.py").write_text("# changed here\n")
    by_cli = {row["name"]: row["state"] for row in
              cli_json(capsys, "status", "--project", "Agree", "--to", str(tmp_path / "cli"))}
    by_magic = qc(ip, "status --project Agree")["state"].to_dict()
    c.refresh_files()
    assert by_cli == by_magic == c.files.states()
    assert by_cli["main.py"] == "local-changed"


def test_estimates_agree_and_send_the_same(flow, emu, ip, tmp_path, capsys):
    emu.clear_log()
    by_cli = cli_json(capsys, "optimize", "estimate", "--project", "Agree",
                      "--param", "fast=5:30:5", "--param", "slow=50:100:50")
    by_magic = qc(ip, "optimize estimate --project Agree --param fast=5:30:5 "
                      "--param slow=50:100:50")
    c = panel(tmp_path, flow)
    c.estimate_optimization("fast=5:30:5 slow=50:100:50")
    estimates = [(e["backtests"], e["parallel_nodes"], e["node_type"], e["cost"])
                 for e in (by_cli, by_magic.__dict__, c.estimate.__dict__)]
    assert estimates[0] == estimates[1] == estimates[2]
    sent = [{k: v for k, v in r["fields"].items() if k != "name"} for r in emu.requests
            if r["endpoint"] == "/optimizations/estimate"]
    assert len(sent) == 3 and sent[0] == sent[1] == sent[2]


def test_backtest_parameters_are_read_alike(flow, emu, ip, tmp_path, capsys):
    cli_json(capsys, "backtest", "--project", "Agree", "--name", "cli",
             "--param", "fast=10", "--param", "label=a b")
    qc(ip, "backtest --project Agree --name magic --param fast=10 --param 'label=a b'")
    c = panel(tmp_path, flow)
    c.run_backtest("panel", "fast=10 'label=a b'")
    sent = {r["fields"]["backtestName"]: r["fields"].get("parameters")
            for r in emu.requests if r["endpoint"] == "/backtests/create"}
    assert sent["cli"] == sent["magic"] == sent["panel"] == {"fast": 10, "label": "a b"}


def test_one_default_project_for_the_shell_and_every_notebook(flow, ip, tmp_path, capsys):
    assert main(["use", "Agree"]) == 0
    assert qc(ip, "status")["state"].to_dict()["main.py"] == "cloud-only"   # no --project
    qc(ip, "new Other")
    qc(ip, "use Other")
    capsys.readouterr()
    assert main(["--json", "files"]) == 0
    names = [row["name"] for row in json.loads(capsys.readouterr().out)]
    assert "lib/helpers.py" not in names and "main.py" in names            # Other's files


def test_a_second_project_of_a_name_is_asked_for(flow, emu, ip, capsys):
    from IPython.core.error import UsageError
    with pytest.raises(UsageError, match=r"a project named 'Agree' exists \(id \d+\); .*add "
                                         r"--allow-duplicate"):
        qc(ip, "new Agree")
    assert main(["new", "agree"]) == 2
    assert "add --allow-duplicate" in capsys.readouterr().err
    before = len(qc(ip, "projects"))                   # the refusals created nothing
    created = qc(ip, "new Agree --allow-duplicate")
    assert created["name"] == "Agree" and created["projectId"] != flow
    assert len(qc(ip, "projects")) == before + 1 == 2


def test_a_use_elsewhere_never_redirects_a_pulled_folder(flow, emu, ip, tmp_path, capsys,
                                                          monkeypatch):
    """A notebook's `%qc use Other` (saved for every face) must not make a shell command in a
    folder pulled from Agree work on Other: a backtest there would run in the wrong project."""
    pulled = tmp_path / "agree"
    pulled.mkdir()
    monkeypatch.chdir(pulled)
    assert main(["pull", "--all", "--project", "Agree"]) == 0
    qc(ip, "new Other")
    qc(ip, "use Other")                                    # saved as the default everywhere
    assert cli_json(capsys, "backtest", "--name", "here")["projectId"] == flow
    capsys.readouterr()
    assert main(["use", "Other"]) == 0
    said = capsys.readouterr().out
    assert "default project: 'Other'" in said and f"synced with 'Agree' (id {flow})" in said
    assert "lib/helpers.py" in {r["name"] for r in cli_json(capsys, "status")}
    monkeypatch.chdir(tmp_path)                            # elsewhere the default holds
    names = [row["name"] for row in cli_json(capsys, "files")]
    assert "lib/helpers.py" not in names

"""Acceptance: QuantConnect's own CLI works against the emulator, offline.

lean-cli prints "Cannot push/pull ..." and still exits 0, so every test checks the cloud (the
emulator's store, read through QCClient) and the disk, not only exit codes. lean-cli is installed
once into a virtualenv under pytest's cache dir and reused; see tests/lean_cli.py for the harness.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import make_client, new_token
from lean_cli import LEAN_PORT, Lean, lean_venv, prepare_home, write_lean_json
from qc_magics.emulator import Emulator

pytestmark = pytest.mark.lean

USER_ID = "4242"
TOKEN = new_token()


@pytest.fixture(scope="session")
def lean_executable(request, tmp_path_factory) -> Path:
    # Cached across runs in pytest's cache; with the cache plugin off, in this run's temp folder.
    cache = getattr(request.config, "cache", None)
    where = cache.mkdir("lean-cli") if cache else tmp_path_factory.mktemp("lean-cli")
    return lean_venv(Path(where))


@pytest.fixture(scope="session")
def cloud(lean_executable):
    """One emulator for the session, where lean-cli looks for it (127.0.0.1:5612)."""
    emu = Emulator(host="127.0.0.1", port=LEAN_PORT, user_id=USER_ID, api_token=TOKEN, seed=11,
                   time_scale=0.02)
    try:
        emu.start()
    except OSError as e:
        pytest.fail(f"lean-cli needs the emulator on port {LEAN_PORT}, which is taken: {e}")
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def lean(lean_executable, cloud, tmp_path_factory) -> Lean:
    """lean-cli with a prepared HOME, logged in to the emulator."""
    runner = Lean(lean_executable, prepare_home(tmp_path_factory.mktemp("lean-home")))
    done = runner("login", "-u", USER_ID, "-t", TOKEN, cwd=runner.home)
    assert done.returncode == 0, done.output
    return runner


@pytest.fixture
def qc(cloud):
    c = make_client(cloud)
    yield c
    c.close()


@pytest.fixture
def folder(tmp_path, cloud) -> Path:
    return write_lean_json(tmp_path / "lean-folder", cloud.app.state.organization_id)


SOURCE_SUFFIXES = {".py", ".cs", ".ipynb", ".css", ".html"}   # lean-cli's get_source_files


def local_sources(project_dir: Path) -> dict[str, str]:
    """The files lean-cli pushes: sources outside hidden folders (.idea, .vscode)."""
    return {p.relative_to(project_dir).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(project_dir.rglob("*"))
            if p.is_file() and p.suffix in SOURCE_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(project_dir).parts)}


def same_text(a: str, b: str) -> bool:
    """lean-cli ends every pulled file with a newline; nothing else may differ."""
    return a.rstrip("\n") == b.rstrip("\n")


def by_name(qc, name: str) -> dict:
    matches = [p for p in qc.list_projects() if p["name"] == name]
    assert len(matches) == 1, f"expected one cloud project named {name!r}, found {matches}"
    return matches[0]


def pulled(lean: Lean, folder: Path, name: str) -> Path:
    done = lean("cloud", "pull", "--project", name, cwd=folder)
    assert done.returncode == 0 and "Cannot pull" not in done.output, done.output
    return folder / name


# --- login ------------------------------------------------------------------------------------

def test_login_checks_the_credentials_and_stores_them(lean_executable, cloud, tmp_path):
    fresh = Lean(lean_executable, prepare_home(tmp_path / "home"))
    wrong = fresh("login", "-u", USER_ID, "-t", "0" * 64, cwd=tmp_path)
    assert wrong.returncode != 0 and "Credentials are invalid" in wrong.output
    assert not (fresh.home / ".lean" / "credentials").exists()
    done = fresh("login", "-u", USER_ID, "-t", TOKEN, cwd=tmp_path)
    assert done.returncode == 0 and "Successfully logged in" in done.output, done.output
    stored = json.loads((fresh.home / ".lean" / "credentials").read_text(encoding="utf-8"))
    assert stored["user-id"] == USER_ID


# --- pull -------------------------------------------------------------------------------------

def test_pull_of_all_projects_and_of_one(lean, qc, cloud, folder, tmp_path):
    first = qc.create_project("Pull/First")
    second = qc.create_project("Pull/Second")
    qc.create_file(first["projectId"], "lib/helpers.py", "def double(x):\n    return 2 * x\n")

    done = lean("cloud", "pull", cwd=folder)
    assert done.returncode == 0 and "Cannot pull" not in done.output, done.output
    for p in qc.list_projects():
        local = folder / p["name"]
        config = json.loads((local / "config.json").read_text(encoding="utf-8"))
        assert config["cloud-id"] == p["projectId"]
        cloud_files = cloud.cloud_files(p["projectId"])
        mine = local_sources(local)
        assert set(mine) == set(cloud_files), p["name"]
        assert all(same_text(mine[n], cloud_files[n]) for n in cloud_files), p["name"]
    assert (folder / "Pull/First/lib/helpers.py").exists()

    one = write_lean_json(tmp_path / "just-one", cloud.app.state.organization_id)
    pulled(lean, one, "Pull/Second")
    projects = {c.relative_to(one).as_posix() for c in one.rglob("config.json")}
    assert projects == {"Pull/Second/config.json"}
    assert set(local_sources(one / "Pull/Second")) == set(cloud.cloud_files(second["projectId"]))


# --- push -------------------------------------------------------------------------------------

def test_push_of_an_existing_project_leaves_exactly_the_pushed_files(lean, qc, cloud, folder):
    pid = qc.create_project("Push/Existing")["projectId"]
    local = pulled(lean, folder, "Push/Existing")
    (local / "main.py").write_text("# changed locally\n" + (local / "main.py").read_text())
    (local / "research.ipynb").unlink()
    (local / "lib").mkdir()
    (local / "lib" / "signals.py").write_text("FAST = 10\n")
    (local / "empty.py").write_text("")
    config_path = local / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config.update(parameters={"fast": "10", "mode": "x"}, description="pushed by lean-cli")
    config_path.write_text(json.dumps(config), encoding="utf-8")

    done = lean("cloud", "push", "--project", "Push/Existing", cwd=folder)
    assert done.returncode == 0 and "Cannot push" not in done.output, done.output
    assert cloud.cloud_files(pid) == local_sources(local)
    read = qc.read_project(pid)
    assert read["parameters"] == [{"key": "fast", "value": "10"}, {"key": "mode", "value": "x"}]
    assert read["description"] == "pushed by lean-cli"


def test_push_of_a_new_project_creates_it_with_exactly_its_files(lean, qc, cloud, folder):
    local = folder / "Push" / "Brand New"
    (local / "alpha").mkdir(parents=True)
    (local / "config.json").write_text(json.dumps(
        {"algorithm-language": "Python", "parameters": {}, "description": ""}), encoding="utf-8")
    (local / "main.py").write_text("from AlgorithmImports import *\n\nclass New(QCAlgorithm):\n"
                                   "    def initialize(self):\n        self.add_equity('SPY')\n")
    (local / "alpha" / "model.py").write_text("WEIGHT = 0.5\n")

    done = lean("cloud", "push", "--project", "Push/Brand New", cwd=folder)
    assert done.returncode == 0 and "Cannot push" not in done.output, done.output
    assert "Successfully created cloud project 'Push/Brand New'" in done.output
    project = by_name(qc, "Push/Brand New")
    config = json.loads((local / "config.json").read_text(encoding="utf-8"))
    assert config["cloud-id"] == project["projectId"]
    assert cloud.cloud_files(project["projectId"]) == local_sources(local)


def test_push_waits_for_the_lock_holder_unless_forced(lean, qc, cloud, folder):
    pid = qc.create_project("Push/Locked")["projectId"]
    local = pulled(lean, folder, "Push/Locked")
    before = cloud.cloud_files(pid)
    make_client(cloud, code_source_id="cloud-ide").acquire_project_lock(pid)
    (local / "main.py").write_text("# edited while someone else holds the lock\n")

    refused = lean("cloud", "push", "--project", "Push/Locked", cwd=folder)
    assert refused.returncode == 0   # lean-cli reports and carries on
    assert "Cannot push" in refused.output and "write permission" in refused.output
    assert "--force" in refused.output
    assert cloud.cloud_files(pid) == before

    forced = lean("cloud", "push", "--project", "Push/Locked", "--force", cwd=folder)
    assert forced.returncode == 0 and "Cannot push" not in forced.output, forced.output
    assert cloud.cloud_files(pid) == local_sources(local)


# --- backtest and optimize --------------------------------------------------------------------

def test_cloud_backtest_prints_the_statistics_table(lean, qc, cloud, folder):
    pid = qc.create_project("Run/Backtest")["projectId"]
    done = lean("cloud", "backtest", "Run/Backtest", "--name", "from lean-cli", cwd=folder)
    assert done.returncode == 0, done.output
    assert "An error occurred" not in done.output
    for statistic in ("Sharpe Ratio", "Net Profit", "Total Orders", "Equity"):
        assert statistic in done.output, done.output
    backtest_id = done.output.split("Backtest id: ", 1)[1].split()[0]
    read = qc.read_backtest(pid, backtest_id)
    assert read["name"] == "from lean-cli" and read["completed"] and read["error"] is None


def test_cloud_backtest_with_push_runs_the_local_code(lean, qc, cloud, folder):
    pid = qc.create_project("Run/Pushed")["projectId"]
    local = pulled(lean, folder, "Run/Pushed")
    main = local / "main.py"
    main.write_text(main.read_text(encoding="utf-8") + "\n# local edit to run\n")
    done = lean("cloud", "backtest", "Run/Pushed", "--push", cwd=folder)
    assert done.returncode == 0 and "Cannot push" not in done.output, done.output
    assert "Sharpe Ratio" in done.output
    assert cloud.cloud_files(pid)["main.py"] == main.read_text(encoding="utf-8")
    backtest_id = done.output.split("Backtest id: ", 1)[1].split()[0]
    with cloud.app.state.lock:
        ran = cloud.app.state.backtests[backtest_id].sources["main.py"]
    assert "# local edit to run" in ran


def test_cloud_optimize_runs_non_interactively(lean, qc, cloud, folder):
    pid = qc.create_project("Run/Optimize")["projectId"]
    done = lean("cloud", "optimize", "Run/Optimize", "--target", "Sharpe Ratio",
                "--target-direction", "max", "--parameter", "fast", "5", "15", "5",
                "--constraint", "Drawdown < 90", "--node", "O2-8", "--parallel-nodes", "2",
                "--name", "lean grid", cwd=folder)
    assert done.returncode == 0, done.output
    assert "Estimated number of backtests: 3" in done.output
    assert "Organization balance:" in done.output
    assert "Optimal parameters: fast:" in done.output and "Sharpe Ratio" in done.output
    [optimization] = qc.list_optimizations(pid)
    assert optimization["name"] == "lean grid"
    read = qc.read_optimization(optimization["optimizationId"])
    assert read["status"] == "completed" and len(read["backtests"]) == 3
    optimal = done.output.split("Optimal backtest id: ", 1)[1].split()[0]
    assert optimal in read["backtests"]

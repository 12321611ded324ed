"""What the terminal shows: every `qc-magics` subcommand's output, at 100 columns, compared with
the text in tests/golden/ (one file per subcommand, its common variants one after another).

One flow runs in-process (`qc_magics.cli.main`) against an emulator whose ids follow from its seed
and whose clock is the test's: each step starts at its own minute and every request moves the
clock on by a millisecond, so timestamps are the same on every run however fast the machine is.
Local files' modification times are set to the step's time before the step runs. The only text
normalised is what no seed or clock of the emulator decides: the emulator's port (<port>), the
name of a backup folder (the local clock, <time>), how long `doctor` took (<seconds>), and the
run's temporary folder (<tmp>; no screen shows it today: commands print paths relative to here).

`QC_UPDATE_GOLDEN=1` rewrites the files; read every changed one as a user would before committing.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import nbformat
import pytest

import conftest

# The emulator's token is fixed so its masked form (whoami) is the same on every run; it is
# still one of the suite's secrets, so the leak checks look for it in every output.
TOKEN = "5eed" * 16
conftest.SECRETS.add(TOKEN)

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("QC_UPDATE_GOLDEN") == "1"
START = 1_709_301_600.0   # 2024-03-01 14:00:00 UTC


class StepClock:
    """The emulated cloud's clock: set to each step's minute, then one millisecond per read."""

    def __init__(self, start: float):
        self.t = start
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            self.t += 0.001
            return self.t

    def set(self, t: float) -> None:
        with self.lock:
            self.t = t


ALGORITHM = '''\
# region imports
from AlgorithmImports import *
# endregion


class Momentum(QCAlgorithm):
    def initialize(self):
        self.set_start_date(2020, 1, 1)
        self.set_cash(100000)
        self.fast = self.get_parameter("fast", 10)
        self.add_equity("SPY")

    def on_data(self, data):
        if not self.portfolio.invested:
            self.set_holdings("SPY", 1)
'''


def _notebook() -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print('hello from the cloud')")]
    return nbformat.writes(nb)


# (golden file, argv, stdin, setup) in the order they run: one user's afternoon. A setup gets the
# flow and prepares what the step needs (a local edit, a cloud edit).
def _edit_local(flow):
    (flow.work / "main.py").write_text(ALGORITHM.replace("10)", "20)"))


def _edit_cloud(flow):
    flow.emu.cloud_write(flow.pid, "utils.py", "def helper():\n    return 2\n")


def _cloud_notebook(flow):
    flow.emu.cloud_write(flow.pid, "report.ipynb", _notebook())


def _edit_both(flow):
    """Both sides change main.py since the last sync, in lines far apart: a sync merges them."""
    path = flow.work / "main.py"
    path.write_text(path.read_text() + "\n# tuned locally\n")
    cloud = flow.emu.cloud_files(flow.pid)["main.py"]
    flow.emu.cloud_write(flow.pid, "main.py", cloud.replace("# region imports",
                                                            "# region imports (cloud)"))


def _run_notebook(flow):
    flow.emu.run_notebook(flow.pid, "report.ipynb")


STEPS: list[tuple[str, list[str], str | None, object]] = [
    ("help", ["help"], None, None),
    ("help", ["help", "pull"], None, None),
    ("login", ["login"], None, None),
    ("whoami", ["whoami"], None, None),
    ("whoami", ["whoami", "--json"], None, None),
    ("new", ["new", "Momentum"], None, None),
    ("new", ["new", "Momentum"], None, None),
    ("new", ["new", "Scratch", "--language", "C#", "--json"], None, None),
    ("projects", ["projects"], None, None),
    ("projects", ["projects", "--json"], None, None),
    ("use", ["use", "Momentum"], None, None),
    ("use", ["use", "Momentm"], None, None),
    ("files", ["files"], None, None),
    ("files", ["files", "--json"], None, None),
    ("status", ["status"], None, None),
    ("pull", ["pull", "--all", "--dry-run"], None, None),
    ("pull", ["pull", "--all"], None, None),
    ("status", ["status"], None, None),
    ("write", ["write", "utils.py"], "def helper():\n    return 1\n", None),
    ("diff", ["diff", "main.py"], None, _edit_local),
    ("push", ["push", "main.py", "--dry-run"], None, None),
    ("push", ["push", "main.py"], None, None),
    ("status", ["status"], None, _edit_cloud),
    ("pull", ["pull"], None, None),
    ("pull", ["pull", "utils.py", "--dry-run"], None, None),
    ("pull", ["pull", "utils.py"], None, None),
    ("diff", ["diff", "utils.py", "--base"], None, None),
    ("push", ["push", "--all", "--dry-run"], None, None),
    ("mv", ["mv", "utils.py", "lib/utils.py"], None, None),
    ("rm", ["rm", "lib/utils.py"], None, None),
    ("rm", ["rm", "lib/utils.py", "--yes"], None, None),
    ("pull", ["pull", "report.ipynb"], None, _cloud_notebook),
    ("pull", ["pull", "--all"], None, None),
    ("wait", ["wait", "report.ipynb", "--timeout", "30"], None, _run_notebook),
    ("outputs", ["outputs", "report.ipynb"], None, None),
    ("backtests", ["backtests"], None, None),
    ("optimizations", ["optimizations"], None, None),
    ("compile", ["compile"], None, None),
    ("backtest", ["backtest", "--name", "First run"], None, None),
    ("backtest", ["backtest", "--name", "Fast 20", "--param", "fast=20", "--json"], None, None),
    ("backtests", ["backtests"], None, None),
    ("backtests", ["backtests", "--json"], None, None),
    ("backtest read", ["backtest", "read", "{bt0}"], None, None),
    ("backtest read", ["backtest", "read", "nope"], None, None),
    ("backtest logs", ["backtest", "logs", "{bt0}", "--tail", "5"], None, None),
    ("backtest rename", ["backtest", "rename", "{bt0}", "Baseline"], None, None),
    ("backtest", ["backtest", "--name", "Later", "--no-wait"], None, None),
    ("backtest read", ["backtest", "read", "{bt2}", "--wait"], None, None),
    ("compare", ["compare", "{bt0}", "{bt1}"], None, None),
    ("backtest delete", ["backtest", "delete", "{bt1}"], None, None),
    ("backtest delete", ["backtest", "delete", "{bt1}", "--yes"], None, None),
    ("optimize estimate", ["optimize", "estimate", "--param", "fast=10:30:10"], None, None),
    ("optimize estimate", ["optimize", "estimate", "--param", "fast=10:30:10", "--json"], None,
     None),
    ("optimize run", ["optimize", "run", "--param", "fast=10:30:10"], None, None),
    ("optimize run", ["optimize", "run", "--param", "fast=10:30:10", "--max-cost", "5",
                      "--name", "Fast grid"], None, None),
    ("optimizations", ["optimizations"], None, None),
    ("optimizations", ["optimizations", "--json"], None, None),
    ("optimize read", ["optimize", "read", "{opt0}"], None, None),
    ("optimize abort", ["optimize", "abort", "{opt0}"], None, None),
    ("optimize delete", ["optimize", "delete", "{opt0}", "--yes"], None, None),
    ("store put", ["store", "put", "results/folds.csv"], "fold,sharpe\n1,0.52\n2,1.25\n", None),
    ("store ls", ["store", "ls"], None, None),
    ("store ls", ["store", "ls", "results"], None, None),
    ("store get", ["store", "get", "results/folds.csv"], None, None),
    ("store get", ["store", "get", "results/folds.csv", "--to", "folds.csv"], None, None),
    ("store rm", ["store", "rm", "results/folds.csv", "--yes"], None, None),
    ("doctor", ["doctor"], None, None),
    ("panel", ["panel"], None, None),
    ("sync", ["sync"], None, _edit_both),
    ("sync", ["sync"], None, None),
    ("sync", ["sync", "--stop"], None, None),
]


class Flow:
    def __init__(self, emu, clock, work, tmp):
        self.emu, self.clock, self.work, self.tmp = emu, clock, work, tmp
        self.pid = None
        self.ids: dict[str, str] = {}
        self.screens: dict[str, list[str]] = {}

    def run(self, index: int, name: str, argv: list[str], stdin: str | None, setup, capsys,
            monkeypatch) -> None:
        import sys

        from qc_magics.cli import main
        now = START + 60 * index
        self.clock.set(now)
        if setup:
            setup(self)
            self.clock.set(now + 1)
        for p in self.work.rglob("*"):   # what status shows as local times
            if p.is_file():
                os.utime(p, (now, now))
        argv = [a.format(**self.ids) for a in argv]
        monkeypatch.setattr(sys, "stdin", _Stdin(stdin or ""))
        capsys.readouterr()
        code = main(argv)
        out, err = capsys.readouterr()
        assert TOKEN not in out + err
        self._learn(argv, out)
        shown = " ".join(_quote(a) for a in argv)
        text = f"$ qc-magics {shown}\n" + out
        if err:
            text += "[stderr]\n" + err
        text += f"[exit {code}]\n"
        self.screens.setdefault(name, []).append(self._normal(text))

    def _learn(self, argv: list[str], out: str) -> None:
        if argv[:1] == ["use"] and self.pid is None:
            self.pid = int(re.search(r"\(id (\d+)\)", out).group(1))
        if argv[:1] == ["backtest"] and len(argv) > 1 and argv[1].startswith("--"):
            found = re.search(r"[0-9a-f]{32}", out)
            self.ids[f"bt{sum(k.startswith('bt') for k in self.ids)}"] = found.group(0)
        if argv[:2] == ["optimize", "run"] and "--max-cost" in argv:
            found = re.search(r"O-[0-9a-f]+", out)
            self.ids[f"opt{sum(k.startswith('opt') for k in self.ids)}"] = found.group(0)

    def _normal(self, text: str) -> str:
        text = text.replace(str(self.tmp), "<tmp>")
        text = re.sub(r"(against http\S+ in )\d+\.\d+s$", r"\1<seconds>s", text, flags=re.M)
        # A backup folder is named by the local clock (sync/), which this test does not set.
        text = re.sub(r"backups/\d{8}-\d{6}-\d+/", "backups/<time>/", text)
        return text.replace(f":{self.emu.port}/", ":<port>/")


class _Stdin:
    """Standard input that is not a terminal, holding `text` (bytes for `store put`)."""

    def __init__(self, text: str):
        import io
        self.buffer = io.BytesIO(text.encode())
        self._text = text

    def isatty(self) -> bool:
        return False

    def read(self, *a) -> str:
        return self._text

    def readline(self, *a) -> str:
        return ""


def _quote(arg: str) -> str:
    import shlex
    return shlex.quote(arg)


@pytest.fixture(scope="module")
def screens(tmp_path_factory):
    """Every step's screen, by golden file name (the flow runs once for the module)."""
    from qc_magics import emulator
    from qc_magics.workspace import settings
    tmp = tmp_path_factory.mktemp("golden")
    clock = StepClock(START)
    mp = pytest.MonkeyPatch()
    emu = emulator.Emulator(api_token=TOKEN, user_id="4242", seed=11, time_scale=0.0005,
                            retry_after=0.01, clock=clock,
                            stale_after=1e12).start()   # its clock is not now
    try:
        home = tmp / "home"
        work = tmp / "work"
        home.mkdir()
        work.mkdir()
        for var, value in {"HOME": str(home), "QC_USER_ID": emu.user_id,
                           "QC_API_TOKEN": emu.api_token, "QC_API_URL": emu.api_url,
                           "QC_MAGICS_CONFIG_DIR": str(tmp / "cfg"), "COLUMNS": "100",
                           "LINES": "50"}.items():
            mp.setenv(var, value)
        mp.delenv("QC_ORGANIZATION_ID", raising=False)
        mp.chdir(work)
        original = settings.load_settings

        def quick():   # the shell's settings, polling fast (the clock moves per request)
            s = original()
            s.poll_interval = 0.01
            return s
        import qc_magics.workspace as workspace
        mp.setattr(workspace, "load_settings", quick)
        flow = Flow(emu, clock, work, tmp)
        capture = _Capture(mp)
        for index, (name, argv, stdin, setup) in enumerate(STEPS):
            flow.run(index, name, argv, stdin, setup, capture, mp)
        yield flow.screens
    finally:
        mp.undo()
        emu.stop()


class _Capture:
    """capsys for a module-scoped fixture: stdout and stderr swapped for text buffers that
    are not terminals (so progress prints its start and done lines, never frames)."""

    def __init__(self, mp):
        import io
        import sys
        self.out, self.err = io.StringIO(), io.StringIO()
        mp.setattr(sys, "stdout", self.out)
        mp.setattr(sys, "stderr", self.err)

    def readouterr(self):
        out, err = self.out.getvalue(), self.err.getvalue()
        self.out.seek(0), self.out.truncate()
        self.err.seek(0), self.err.truncate()
        return out, err


NAMES = sorted({name for name, *_ in STEPS})


def _file(name: str) -> Path:
    return GOLDEN / (name.replace(" ", "_") + ".txt")


@pytest.mark.parametrize("name", NAMES)
def test_screen(screens, name):
    got = "\n".join(screens[name])
    path = _file(name)
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with QC_UPDATE_GOLDEN=1 and read it"
    want = path.read_text(encoding="utf-8")
    assert got == want, f"{path.name} changed; if that is meant, QC_UPDATE_GOLDEN=1 and read it"


def test_every_subcommand_has_a_screen():
    from qc_magics.commands.grammar import NAMES as COMMANDS
    assert set(COMMANDS) <= set(NAMES), sorted(set(COMMANDS) - set(NAMES))


def test_no_stale_golden_files():
    wanted = {_file(n).name for n in NAMES}
    assert sorted(p.name for p in GOLDEN.glob("*.txt") if p.name not in wanted) == []


# --- what every screen keeps ---------------------------------------------------------------------

ENDPOINT = re.compile(r"/(?:projects|files|backtests|optimizations|compile|object|account|"
                      r"live|authenticate)\b/?[a-z]*:")
PYTHON = re.compile(r"\b[a-z_]+\((?:client|'|\")|=True\b|=False\b|\.wait\(\)|Traceback")
TABLES = ("projects", "files", "status", "backtests", "optimizations", "store ls", "compare",
          "optimize read", "optimize run")


def _shown(screen: str) -> list[str]:
    """The lines a screen printed, without its `$ command` line and its markers."""
    return [line for line in screen.splitlines()
            if not line.startswith(("$ qc-magics", "[stderr]", "[exit "))]


def test_screens_speak_the_shell(screens):
    """Messages name what a user types here: no endpoint paths, no Python calls, the program
    named once, no %qc in the shell."""
    content = {"diff", "outputs", "backtest logs", "store get"}   # the user's own text
    for name, shown in screens.items():
        for screen in shown:
            assert "\r" not in screen, name   # progress off a terminal: lines, never frames
            for line in _shown(screen):
                assert not ENDPOINT.search(line), (name, line)
                assert name in content or not PYTHON.search(line), (name, line)
                assert "qc-magics: qc-magics" not in line, (name, line)
                # The panel is the one thing the shell sends to the notebook's face.
                assert name == "panel" or "%qc" not in line, (name, line)


def test_tables_fit_100_columns_and_hide_no_blank_as_text(screens):
    for name in TABLES:
        for screen in screens[name]:
            if "--json" in screen.splitlines()[0]:
                continue
            for line in _shown(screen.split("[stderr]")[0]):   # messages may wrap; tables not
                assert len(line) <= 100, (name, line)
                assert not re.search(r"\b(?:NaN|NaT|None|nan|<NA>)\b", line), (name, line)
                assert "e+0" not in line and "e-0" not in line, (name, line)   # no 2.4e+02


def test_dry_runs_say_would_and_that_nothing_changed(screens):
    for name in ("pull", "push"):
        for screen in screens[name]:
            if "--dry-run" in screen.splitlines()[0] and "[exit 0]" in screen:
                out = screen.split("[stderr]")[0]
                assert "dry run: nothing was changed" in out, screen
                assert not re.search(r"\b(?:pulled|pushed|created|removed)\b", out), screen

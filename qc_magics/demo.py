"""`qc-magics demo`: the quick-start flow against a built-in emulator, narrated.

It needs no account: it starts an emulator on loopback, makes a sample project in it, and walks
through what a user does (write the algorithm, compile, backtest, read results, estimate an
optimization), printing each step.
"""
from __future__ import annotations

import argparse
import signal
import time

SAMPLE_ALGORITHM = '''# region imports
from AlgorithmImports import *
# endregion


class DemoMomentum(QCAlgorithm):
    """Hold SPY while its fast EMA is above its slow EMA."""

    def initialize(self):
        self.set_start_date(2020, 1, 1)
        self.set_end_date(2023, 12, 31)
        self.set_cash(100000)
        self.spy = self.add_equity("SPY", Resolution.DAILY).symbol
        fast = int(self.get_parameter("ema_fast", 10))
        slow = int(self.get_parameter("ema_slow", 50))
        self.fast = self.ema(self.spy, fast)
        self.slow = self.ema(self.spy, slow)

    def on_data(self, data: Slice):
        if self.fast.current.value > self.slow.current.value:
            self.set_holdings(self.spy, 1)
        else:
            self.liquidate(self.spy)
'''


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--time-scale", type=float, default=0.2,
                   help="speed of the emulated cloud's jobs (1.0: realistic pacing)")
    p.add_argument("--lab", action="store_true",
                   help="open JupyterLab on the example notebooks, wired to the emulator")
    p.add_argument("--dir", default="qc_magics_examples",
                   help="with --lab: the folder the example notebooks are copied into "
                        "(default: ./qc_magics_examples; kept afterwards; copies already there "
                        "are not replaced)")
    p.add_argument("--port", type=int, default=8888, help="with --lab: JupyterLab's port")


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run_lab(args: argparse.Namespace) -> int:
    """Start the emulator, copy the examples, and run JupyterLab with the emulator's address and
    credentials in its environment, so every notebook and %qc talks to it."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from .emulator import Emulator
    if shutil.which("jupyter-lab") is None and subprocess.run(
            [sys.executable, "-c", "import jupyterlab"], capture_output=True).returncode:
        print("qc-magics demo --lab needs JupyterLab: pip install jupyterlab", file=sys.stderr)
        return 1
    source = Path(__file__).resolve().parents[1] / "example_notebooks"
    if not source.is_dir():
        print("qc-magics demo --lab: the example notebooks come with a source checkout "
              "(pip install -e . from a clone)", file=sys.stderr)
        return 1
    target = Path(args.dir).expanduser().resolve()
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for notebook in sorted(source.glob("*.ipynb")):
        if not (target / notebook.name).exists():   # never over a copy someone has edited
            shutil.copy(notebook, target / notebook.name)
            copied.append(notebook.name)
    with Emulator(time_scale=args.time_scale) as emu:
        env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
               "QC_API_URL": emu.api_url}
        fresh = f"copied {len(copied)}" if copied else "the copies already there"
        print(f"Emulator at {emu.api_url}; example notebooks in {target} ({fresh}; the folder "
              f"stays when the demo stops, --dir DIR puts it elsewhere).\n"
              f"JupyterLab at http://127.0.0.1:{args.port}/lab. Ctrl-C stops both.", flush=True)
        lab = subprocess.Popen([sys.executable, "-m", "jupyter", "lab",
                                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={args.port}",
                                f"--ServerApp.root_dir={target}"]
                               + (["--allow-root"] if os.name == "posix" and os.geteuid() == 0
                                  else []), env=env)
        # Stopped by Ctrl-C or by a TERM signal alike, JupyterLab must not outlive the command.
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
        try:
            return lab.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if lab.poll() is None:
                lab.terminate()
                try:
                    lab.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    lab.kill()


def run(args: argparse.Namespace) -> int:
    if getattr(args, "lab", False):
        return run_lab(args)
    import sys
    import tempfile
    from pathlib import Path

    import pandas as pd

    from .api import QCClient
    from .api.layout import main_file, research_notebook
    from .emulator import Emulator
    from .workspace import Settings, Workspace

    def utc(frame):
        """Times as users read them: UTC to the second, without "+00:00"."""
        frame = frame.copy()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(frame.index, pd.DatetimeIndex):
            frame.index = frame.index.strftime("%Y-%m-%d %H:%M:%S").rename(frame.index.name)
        return frame

    def show(title: str, frame) -> None:
        text = utc(frame).to_string() if hasattr(frame, "to_string") else str(frame)
        with pd.option_context("display.width", 120, "display.max_columns", 8):
            print(f"\n{title}\n{text}")

    with Emulator(time_scale=args.time_scale) as emu, \
            tempfile.TemporaryDirectory(prefix="qc-magics-demo-") as tmp:
        print(f"Started a QuantConnect API emulator at {emu.api_url} (no account needed).")
        root = Path(tmp) / "Demo Momentum"
        # The same workspace `%qc` and `qc-magics` use, on the emulator's made-up credentials.
        ws = Workspace(Settings(folder=str(root), poll_interval=0.1,
                                progress="text" if sys.stdout.isatty() else "none"),
                       client=QCClient(**emu.client_kwargs()))
        project = ws.new_project("Demo Momentum")
        pid = project["projectId"]
        print(f"1. Created project {project['name']!r} (id {pid}); pulled it into {root} "
              "(a temporary folder, removed when the demo ends):")
        print(ws.pull(all=True, project=pid))

        # Py projects hold main.py and research.ipynb, C# ones Main.cs and Research.ipynb.
        names = list(emu.cloud_files(pid))
        main = main_file(project["language"], names)
        research = research_notebook(project["language"], names)
        (root / main).write_text(SAMPLE_ALGORITHM)
        print(f"2. Wrote the sample algorithm to {main}; status and push:")
        print(ws.status())   # the folder knows its project now
        print(ws.push([main]))

        emu.cloud_write(pid, research, emu.cloud_files(pid)[research].replace("360", "720"))
        print(f"3. Someone changed {research} in the cloud; pull brings it here:")
        print(ws.pull(all=True))

        print("4. Compile, run a backtest and follow it:")
        bt = ws.run_backtest("Demo backtest", {"ema_fast": 10, "ema_slow": 50}, project=pid)
        # As QuantConnect shows them (15.08%, $315.90); bt.statistics holds the float64 values.
        show("   Key statistics:", bt.view(only=["Net Profit", "Compounding Annual Return",
                                                "Sharpe Ratio", "Drawdown", "Total Orders",
                                                "Total Fees"]))
        show("   First orders:", bt.orders[["time", "symbol", "type", "status", "quantity",
                                           "price"]].head(5))
        show("   Equity, last days:", bt.equity.tail(3).to_frame())

        estimate = ws.estimate_optimization(["ema_fast=5:30:5", "ema_slow=40:100:20"],
                                            project=pid)
        print(f"\n5. Optimization {estimate}")
        print(f"\nDone: {len(emu.requests)} requests to the emulator. In Jupyter: "
              "%load_ext qc_magics, then %qc help; or qc-magics demo --lab.")
    return 0


# --- the example notebooks' first cell -----------------------------------------------------------

class Example:
    """What an example notebook works with: a client, a project, and whether it is emulated."""

    def __init__(self, client, project: dict, emulated: bool, emulator=None,
                 files: list[str] = ()):
        from .api.layout import main_file, research_notebook
        self.client = client
        self.project_id = int(project["projectId"])
        self.project_name = project["name"]
        self.emulated = emulated
        self.emulator = emulator
        # The project's own names: main.py and research.ipynb, or Main.cs and Research.ipynb.
        self.main_file = main_file(project.get("language"), files)
        self.research_notebook = research_notebook(project.get("language"), files)

    def __repr__(self) -> str:
        where = "the local emulator" if self.emulated else "QuantConnect"
        return f"<Example: project {self.project_name!r} (id {self.project_id}) on {where}>"

    def press_run_all(self, name: str, delay: float = 1.0):
        """Emulated cloud only: in `delay` seconds, someone presses "Run All" on notebook
        `name` in the cloud IDE. Returns the thread doing it."""
        import threading
        if not self.emulated:
            raise RuntimeError("on the real service a person presses Run All in the cloud IDE")

        def press() -> None:
            time.sleep(delay)
            self.client.transport.post("/emulator/notebooks/run",
                                       {"projectId": self.project_id, "name": name, "wait": True})
        thread = threading.Thread(target=press, name="run-all", daemon=True)
        thread.start()
        return thread


def example_setup(project_name: str = "Demo Momentum", *, time_scale: float = 0.05) -> Example:
    """Connect an example notebook: to QuantConnect when credentials are set, else to a local
    emulator started in this kernel. Prints which, finds or creates the project, and points
    %qc at it (through QC_API_URL, QC_USER_ID, QC_API_TOKEN in this process)."""
    import os
    from urllib.parse import urlparse

    from . import config
    from .api.lookup import find_project
    from .errors import ConfigError, NotFoundError

    emulator = None
    try:
        credentials = config.resolve()
    except ConfigError:
        from .emulator import Emulator
        # QC_MAGICS_EMULATOR_TOKEN fixes the emulator's made-up token (reproducible demos, tests).
        emulator = Emulator(time_scale=time_scale,
                            api_token=os.environ.get("QC_MAGICS_EMULATOR_TOKEN")).start()
        os.environ.update(QC_USER_ID=emulator.user_id, QC_API_TOKEN=emulator.api_token,
                          QC_API_URL=emulator.api_url)
        credentials = config.resolve()
    client = config.client()
    host = urlparse(credentials.api_url).hostname or ""
    emulated = emulator is not None or host in ("127.0.0.1", "localhost", "::1")
    from .api.layout import main_file
    try:
        project = find_project(client, project_name)
    except NotFoundError:
        project = client.create_project(project_name)   # a Py project: the sample is Python
        names = [f["name"] for f in client.read_files(project["projectId"])]
        client.update_file(project["projectId"], main_file(project["language"], names),
                           SAMPLE_ALGORITHM)
    if emulated:
        print(f"No QuantConnect account needed: this notebook talks to a local emulator at "
              f"{credentials.api_url} (nothing leaves this machine).")
    else:
        print(f"Using QuantConnect at {credentials.api_url} as user {credentials.user_id} "
              f"(credentials from {credentials.source}).")
    print(f"Project {project['name']!r} (id {project['projectId']}).")
    files = [f["name"] for f in client.read_files(project["projectId"])]
    return Example(client, project, emulated, emulator, files)

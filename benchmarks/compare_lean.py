"""qc-magics against QuantConnect's own CLI (lean-cli), side by side, through one emulator.

Both tools are run as users run them: whole processes (`lean cloud pull/push --project P` and
`qc-magics pull/push --all --project P --to DIR`), against ONE emulator in this process on
127.0.0.1:5612 (lean-cli's QC_API=local address) with 40 ms added to every answer, each on its own
copy of a 200-file project (190 .py of ~2 KB, 10 notebooks of ~20 KB). Per operation: the median
wall time of several runs and its spread (min-max), requests (the emulator's request log), and
bytes up/down (request and answer bodies, counted around the emulator's handler; HTTP headers
not included). The two tools alternate within each run, so that they share the machine's noise.

qc-magics runs with its modules' bytecode compiled once beforehand, into a cache of its own, as
a pip install of it would have them (see qc_env). Installs nothing. lean-cli is looked for in $LEAN_BIN, in the virtualenv tests/lean_cli.py caches
(.pytest_cache/d/lean-cli/venv, made by `python -m pytest tests/test_lean_cli.py`), then on PATH;
without it this prints how to get it and exits 0. Like the test harness it writes lean-cli's
stub modules file into the lean package found (lean-cli would download it from a CDN) and uses a
temporary HOME, so the user's ~/.lean is not touched.

Run: python benchmarks/compare_lean.py [--runs 5] [--latency-ms 40]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # the lean-cli harness: HOME, lean.json, modules stub

from qc_magics import Emulator, QCClient  # noqa: E402

USER_ID = "4242"
LEAN_PORT = 5612
OPERATIONS = ["pull into an empty folder", "re-pull, nothing changed",
              "push after editing one .py", "no-op push", "push after editing 190 .py"]


def find_lean() -> Path | None:
    candidates = [os.environ.get("LEAN_BIN"),
                  ROOT / ".pytest_cache" / "d" / "lean-cli" / "venv" / "bin" / "lean",
                  shutil.which("lean")]
    for c in candidates:
        if c and Path(c).is_file() and os.access(c, os.X_OK):
            return Path(c)
    return None


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def module_source(i: int) -> str:
    body = "".join(f"    value_{k} = base * {k} + {i}  # keep the arithmetic readable\n"
                   for k in range(36))
    return f'"""Module {i}."""\n\n\ndef compute_{i}(base):\n{body}    return value_0\n'


def notebook_source(i: int) -> str:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}-{k}", "metadata": {},
              "outputs": [], "source": [f"# notebook {i}, cell {k}\n",
                                        *(f"x_{j} = {j} * {k} + {i}\n" for j in range(24))]}
             for k in range(25)]
    nb = {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3",
                                                      "language": "python", "name": "python3"}},
          "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def make_project(emu: Emulator, client: QCClient, name: str) -> tuple[int, list[str]]:
    """190 .py (main.py among them) and 10 notebooks (research.ipynb among them): 200 files."""
    pid = client.create_project(name)["projectId"]
    py = ["main.py"] + [f"pkg{i % 10}/module_{i:03d}.py" for i in range(1, 190)]
    for i, path in enumerate(py):
        emu.cloud_write(pid, path, module_source(i))
    for i, path in enumerate(["research.ipynb"] + [f"notebooks/study_{i}.ipynb"
                                                   for i in range(1, 10)]):
        emu.cloud_write(pid, path, notebook_source(i))
    files = emu.cloud_files(pid)
    assert len(files) == 200, len(files)
    return pid, py


class Meter:
    """Bytes of request and answer bodies, counted around the emulator's handler."""

    def __init__(self, emu: Emulator):
        self.up = self.down = 0
        handle = emu.app.handle

        def counted(method, path, query, headers, raw):
            reply = handle(method, path, query, headers, raw)
            self.up += len(raw)
            self.down += len(reply.body) if reply is not None else 0
            return reply
        emu.app.handle = counted


def timed(emu: Emulator, meter: Meter, argv: list[str], cwd: Path, env: dict,
          check: str) -> dict:
    requests_before = len(emu.requests)
    up, down = meter.up, meter.down
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=300)
    wall = time.perf_counter() - started
    output = done.stdout + done.stderr
    if done.returncode != 0 or check in output:
        raise SystemExit(f"{' '.join(argv[:4])}... failed:\n{output[-2000:]}")
    return {"wall": wall, "requests": len(emu.requests) - requests_before,
            "up": meter.up - up, "down": meter.down - down}


def edit(paths: list[Path], run: int) -> None:
    for p in paths:
        with open(p, "a", encoding="utf-8") as f:
            f.write(f"# edited in run {run}\n")


def run_lean(emu, meter, lean: Path, home: Path, work: Path, name: str, py: list[str],
             run: int, pid: int) -> list[dict]:
    from lean_cli import write_lean_json
    folder = write_lean_json(work / f"lean-{run}", emu.app.state.organization_id)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QC_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), QC_API="local", COLUMNS="200", TERM="dumb", NO_COLOR="1",
               PYTHONIOENCODING="utf-8", PATH=os.pathsep.join([str(lean.parent), env["PATH"]]))
    pull = [str(lean), "cloud", "pull", "--project", name]
    push = [str(lean), "cloud", "push", "--project", name]
    project = folder / name
    out = [timed(emu, meter, pull, folder, env, "Cannot pull"),
           timed(emu, meter, pull, folder, env, "Cannot pull")]
    edit([project / py[1]], run)
    out.append(timed(emu, meter, push, folder, env, "Cannot push"))
    assert emu.cloud_files(pid)[py[1]].rstrip().endswith(f"run {run}"), "lean-cli did not push"
    out.append(timed(emu, meter, push, folder, env, "Cannot push"))
    edit([project / p for p in py], run)
    out.append(timed(emu, meter, push, folder, env, "Cannot push"))
    assert emu.cloud_files(pid)[py[-1]].rstrip().endswith(f"run {run}"), "lean-cli did not push"
    return out


def run_qc(emu, meter, work: Path, name: str, py: list[str], run: int, pid: int,
           root: Path = ROOT, tag: str = "qc") -> list[dict]:
    folder = work / f"{tag}-{run}"
    env = qc_env(emu, work, root)
    cli = [sys.executable, "-m", "qc_magics.cli"]
    pull = [*cli, "pull", "--all", "--project", name, "--to", str(folder)]
    push = [*cli, "push", "--all", "--project", name, "--to", str(folder)]
    out = [timed(emu, meter, pull, work, env, "Traceback"),
           timed(emu, meter, pull, work, env, "Traceback")]
    edit([folder / py[1]], run)
    out.append(timed(emu, meter, push, work, env, "Traceback"))
    assert emu.cloud_files(pid)[py[1]].rstrip().endswith(f"run {run}"), "qc-magics did not push"
    out.append(timed(emu, meter, push, work, env, "Traceback"))
    edit([folder / p for p in py], run)
    out.append(timed(emu, meter, push, work, env, "Traceback"))
    assert emu.cloud_files(pid)[py[-1]].rstrip().endswith(f"run {run}"), "qc-magics did not push"
    return out


def qc_env(emu: Emulator, work: Path, root: Path = ROOT) -> dict:
    """qc-magics as installed: with its bytecode. pip compiles a package's .pyc files when it
    installs it (lean-cli's venv has them); this checkout has none, and PYTHONDONTWRITEBYTECODE
    (set on some machines) would make every run compile ~60 modules from source again, ~0.15 s
    of each command. So the bytecode goes to a cache of its own (the checkout is not touched),
    compiled once before any timing (compile_qc)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(QC_USER_ID=USER_ID, QC_API_TOKEN=emu.api_token, QC_API_URL=emu.api_url,
               QC_MAGICS_CONFIG_DIR=str(work / "qc-config"),
               PYTHONPYCACHEPREFIX=str(work / "qc-pycache"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
    return env


def compile_qc(emu: Emulator, work: Path, root: Path = ROOT) -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(root / "qc_magics")],
                   env=qc_env(emu, work, root), check=True, stdout=subprocess.DEVNULL)


def summary(samples: list[dict]) -> dict:
    walls = [s["wall"] for s in samples]
    return {"median": statistics.median(walls), "min": min(walls), "max": max(walls),
            "requests": statistics.median(s["requests"] for s in samples),
            "up": statistics.median(s["up"] for s in samples),
            "down": statistics.median(s["down"] for s in samples)}


def kb(n: float) -> str:
    return f"{n / 1024:,.0f} KB" if n >= 1024 else f"{n:,.0f} B"


def cell(s: dict) -> str:
    return (f"{s['median']:.2f} s ({s['min']:.2f}-{s['max']:.2f}), {s['requests']:g} req, "
            f"{kb(s['up'])} up, {kb(s['down'])} down")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another qc-magics checkout (e.g. `git worktree add /tmp/base main`) "
                             "timed in the same run, alternating with the others: before/after "
                             "under the same load")
    args = parser.parse_args()
    lean = find_lean()
    if lean is None:
        print("lean-cli not found (looked at $LEAN_BIN, .pytest_cache/d/lean-cli/venv/bin/lean "
              "and PATH). To get it: `python -m pytest tests/test_lean_cli.py` installs it into "
              "that cached virtualenv; or `python -m venv /tmp/lean-venv && /tmp/lean-venv/bin/pip "
              "install lean`, then LEAN_BIN=/tmp/lean-venv/bin/lean python "
              "benchmarks/compare_lean.py")
        return
    if not port_free(LEAN_PORT):
        raise SystemExit(f"port {LEAN_PORT} (lean-cli's QC_API=local) is taken; free it first")
    from lean_cli import Lean, prepare_home, stub_modules_file
    stub_modules_file(lean.parent / "python")
    version = subprocess.run([str(lean.parent / "python"), "-m", "pip", "show", "lean"],
                             capture_output=True, text=True).stdout
    version = next((line.split()[-1] for line in version.splitlines()
                    if line.startswith("Version:")), "?")
    token = os.urandom(32).hex()
    with Emulator(host="127.0.0.1", port=LEAN_PORT, user_id=USER_ID, api_token=token,
                  seed=3) as emu, tempfile.TemporaryDirectory(prefix="qc-vs-lean-") as tmp:
        work = Path(tmp)
        client = QCClient(**emu.client_kwargs())
        lean_pid, py = make_project(emu, client, "Bench lean")
        qc_pid, _ = make_project(emu, client, "Bench qc")
        base_pid = make_project(emu, client, "Bench base")[0] if args.baseline else None
        home = prepare_home(work / "lean-home")
        login = Lean(lean, home)("login", "-u", USER_ID, "-t", token, cwd=home)
        assert login.returncode == 0, login.output
        compile_qc(emu, work)
        if args.baseline:
            compile_qc(emu, work, args.baseline.resolve())
        meter = Meter(emu)
        emu.latency_ms = args.latency_ms
        results: dict[str, list[list[dict]]] = {"lean": [], "qc": [], "base": []}
        tools = ["lean", "qc"] + (["base"] if args.baseline else [])
        for run in range(args.runs):
            # Alternate which tool goes first, so neither always meets a warmer disk cache.
            order = tools[run % len(tools):] + tools[:run % len(tools)]
            for tool in order:
                if tool == "lean":
                    results["lean"].append(run_lean(emu, meter, lean, home, work, "Bench lean",
                                                    py, run, lean_pid))
                elif tool == "base":
                    results["base"].append(run_qc(emu, meter, work, "Bench base", py, run,
                                                  base_pid, args.baseline.resolve(), "base"))
                else:
                    results["qc"].append(run_qc(emu, meter, work, "Bench qc", py, run, qc_pid))
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    print(f"lean-cli {version} vs qc-magics, {args.latency_ms:g} ms added latency, 200-file "
          f"project, median (min-max) of {args.runs} runs, whole processes\n")
    if args.baseline:
        print(f"baseline: the qc-magics checkout in {args.baseline}\n")
        print("| operation | lean-cli | qc-magics baseline | base/lean | qc-magics | qc/lean |")
        print("| --- | --- | --- | ---: | --- | ---: |")
    else:
        print("| operation | lean-cli | qc-magics | qc/lean |")
        print("| --- | --- | --- | ---: |")
    for i, op in enumerate(OPERATIONS):
        lean_s = summary([r[i] for r in results["lean"]])
        qc_s = summary([r[i] for r in results["qc"]])
        ratio = qc_s['median'] / lean_s['median']
        if args.baseline:
            base_s = summary([r[i] for r in results["base"]])
            print(f"| {op} | {cell(lean_s)} | {cell(base_s)} | "
                  f"{base_s['median'] / lean_s['median']:.2f} | {cell(qc_s)} | {ratio:.2f} |")
        else:
            print(f"| {op} | {cell(lean_s)} | {cell(qc_s)} | {ratio:.2f} |")


if __name__ == "__main__":
    main()

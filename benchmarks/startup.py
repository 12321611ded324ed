"""`qc-magics status` in a synced 200-file folder, whole process, against `python -c pass`.

Command start-up is what a user waits for on every shell command. Issue 13's goal: status in a
synced 200-file folder under 0.25 s wall including interpreter start, with no pandas, requests or
nbformat imported. The emulator runs in this process on 127.0.0.1 with no added latency (status
makes one request: the project's files, in one read); the folder is the same 200-file project
compare_lean.py uses, pulled once. qc-magics runs with its bytecode compiled beforehand into a
cache of its own, as an install would have it (compare_lean.qc_env). Runs alternate between the
commands timed (and the baseline checkout, with --baseline), so they meet the same load. Reports
the median (min-max) of wall time and of CPU time (user+sys of the child), and which heavy
modules the command imported.

The interpreter is a fresh virtualenv's (made here, without pip: status needs nothing beyond the
standard library), started the way the `qc-magics` console script starts it, so that neither
this machine's site-packages (.pth files that import modules at every start) nor `python -m`'s
runpy is counted: `python -c pass` in the same virtualenv is the floor.

Run: python benchmarks/startup.py [--runs 15] [--baseline OTHER_CHECKOUT]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from compare_lean import USER_ID, compile_qc, make_project, qc_env  # noqa: E402
from qc_magics import Emulator, QCClient  # noqa: E402

# What the console script pip writes does, as one -c line (sys.argv[1:] holds the command).
CONSOLE = ("import re, sys; from qc_magics.cli import main; "
           "sys.argv[0] = 'qc-magics'; sys.exit(main())")
HEAVY = ("pandas", "numpy", "requests", "nbformat", "jsonschema", "IPython", "ipywidgets")


def timed(argv: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """Wall and CPU (user+sys) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def heavy_imports(python: str, env: dict, cwd: Path) -> list[str]:
    code = ("import sys\nfrom qc_magics.cli import main\nsys.argv = ['qc-magics', 'status']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules], file=sys.stderr)\n")
    out = subprocess.run([python, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True).stderr
    line = next((x for x in out.splitlines() if x.startswith("HEAVY ")), "HEAVY ?")
    return eval(line[6:]) if line != "HEAVY ?" else ["?"]   # our own print: a list literal


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", type=Path, default=None,
                        help="another qc-magics checkout, timed in the same run")
    args = parser.parse_args()
    with Emulator(host="127.0.0.1", port=0, user_id=USER_ID, seed=3) as emu, \
            tempfile.TemporaryDirectory(prefix="qc-startup-") as tmp:
        work = Path(tmp)
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")],
                       check=True)
        python = str(work / "venv" / "bin" / "python")
        client = QCClient(**emu.client_kwargs())
        make_project(emu, client, "Startup")
        roots = {"qc-magics": ROOT}
        if args.baseline:
            roots["baseline"] = args.baseline.resolve()
        commands: dict[str, tuple[list[str], dict, Path]] = {}
        bare = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        commands["python -c pass"] = ([python, "-c", "pass"], bare, work)
        heavy = {}
        for tag, root in roots.items():
            compile_qc(emu, work / tag, root)
            env = qc_env(emu, work / tag, root)
            folder = work / tag / "folder"
            subprocess.run([sys.executable, "-m", "qc_magics.cli", "pull", "--all", "--project",
                            "Startup", "--to", str(folder)], env=env, check=True,
                           capture_output=True)
            argv = [python, "-c", CONSOLE, "status"]
            commands[f"{tag} status"] = (argv, env, folder)
            timed(argv, env, folder)   # the bytecode of modules compiled on first use, not timed
            heavy[tag] = heavy_imports(python, env, folder)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        names = list(commands)
        for run in range(args.runs):
            for name in names[run % len(names):] + names[:run % len(names)]:
                samples[name].append(timed(*commands[name]))
        print(f"`qc-magics status` in a synced 200-file folder, local emulator, no added "
              f"latency; median (min-max) of {args.runs} alternating runs; load average "
              f"{os.getloadavg()[0]:.1f}\n")
        print("| command | wall | CPU (user+sys) | heavy modules imported |")
        print("| --- | ---: | ---: | --- |")
        for name, runs in samples.items():
            tag = name.split(" status")[0]
            print(f"| {name} | {spread([w for w, _ in runs])} | {spread([c for _, c in runs])} | "
                  f"{', '.join(heavy[tag]) or 'none' if tag in heavy else ''} |")


if __name__ == "__main__":
    main()

"""What `%load_ext qc_magics` adds to a bare IPython start (target: under 100 ms).

Two measures, each the median of many runs in fresh processes:
- in process: the time of `%load_ext qc_magics` itself, after IPython started;
- whole process: `ipython -c "%load_ext qc_magics"` against `ipython -c "pass"`.
Run: python benchmarks/load.py [--runs 15]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

IN_PROCESS = ("import time\nfrom IPython.testing.globalipapp import start_ipython\n"
              "ip = start_ipython()\nt = time.perf_counter()\n"
              "ip.run_line_magic('load_ext', 'qc_magics')\n"
              "print(time.perf_counter() - t)\n")


def whole(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "IPython", "--quick", "--no-banner", "-c", code],
                       check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    inside = statistics.median(float(subprocess.run(
        [sys.executable, "-c", IN_PROCESS], check=True, capture_output=True, text=True
    ).stdout.strip().splitlines()[-1]) for _ in range(runs))
    bare = whole("pass", runs)
    loaded = whole("%load_ext qc_magics", runs)
    print(f"%load_ext qc_magics in process: {inside * 1000:6.1f} ms (median of {runs})")
    print(f"ipython -c pass:                {bare * 1000:6.1f} ms")
    print(f"ipython -c '%load_ext qc_magics': {loaded * 1000:6.1f} ms  "
          f"(adds {(loaded - bare) * 1000:.1f} ms; target < 100 ms)")


if __name__ == "__main__":
    main()

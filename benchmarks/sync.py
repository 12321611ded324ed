"""Whole-project push of 200 changed files and pull of 200 files, with 40 ms added latency.

Prints the requests made, the wall time, and the ratio to the ideal bound
ceil(requests / pool size) x latency: what a client that only waits on the network, with that many
requests in flight at once, would take. Run: python benchmarks/sync.py [--files 200] [--latency-ms 40]
"""
from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from qc_magics import Emulator, QCClient
from qc_magics.sync import ProjectFolder


def measure(label: str, client: QCClient, pool: int, latency: float, action) -> dict:
    before = client.transport.requests_made
    started = time.perf_counter()
    report = action()
    wall = time.perf_counter() - started
    requests = client.transport.requests_made - before
    ideal = math.ceil(requests / pool) * latency
    print(f"{label:<34} {requests:>5} requests  {wall:7.3f} s  ideal {ideal:6.3f} s  "
          f"ratio {wall / ideal:5.2f}  ({len(report.changed)} files changed)")
    return {"requests": requests, "wall": wall, "ideal": ideal}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    with Emulator(seed=1) as emu, tempfile.TemporaryDirectory() as tmp:
        client = QCClient(**emu.client_kwargs(), pool_size=max(16, args.concurrency))
        pid = client.create_project("Benchmark")["projectId"]
        for i in range(args.files):
            emu.cloud_write(pid, f"pkg{i % 10}/module_{i:03d}.py", f"VALUE = {i}\n" * 40)
        folder = ProjectFolder(client, pid, Path(tmp), concurrency=args.concurrency,
                               progress="none")
        folder.pull(all=True)
        for path in Path(tmp).rglob("module_*.py"):
            path.write_text(path.read_text() + "CHANGED = True\n")

        emu.latency_ms = args.latency_ms
        print(f"{args.files} files, {args.latency_ms:g} ms latency, pool of {args.concurrency}")
        measure(f"push {args.files} changed files", client, args.concurrency, latency,
                lambda: folder.push(all=True))
        emu.latency_ms = 0
        for name in list(emu.cloud_files(pid)):
            if "module_" in name:
                emu.cloud_write(pid, name, emu.cloud_files(pid)[name] + "CLOUD = 1\n")
        emu.latency_ms = args.latency_ms
        measure(f"pull {args.files} cloud-changed files", client, args.concurrency, latency,
                lambda: folder.pull(all=True))


if __name__ == "__main__":
    main()

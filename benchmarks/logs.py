"""Reading a backtest's log fast: 100,000 lines through /backtests/read/log (windows of 200).

Backtest.logs (windows over a bounded pool, stitched by position, parsed to a frame) against the
loop the documentation implies (one window after another until `length`), in the same run, with
the emulator in its own process and latency added to every request. Beside each: requests made
and the ideal bound ceil(requests / pool) x latency. Then the frame and pattern extraction alone.

Run: python benchmarks/logs.py [--lines 100000] [--latency-ms 40] [--pool 16]
"""
from __future__ import annotations

import argparse
import math
import time

from results import EmulatorProcess   # benchmarks/results.py: the emulator in its own process

from qc_magics.jobs import run_backtest
from qc_magics.results.logs import LOG_WINDOW, extract, logs_frame

METRICS = r"fold=(?P<fold>\d+) sharpe=(?P<sharpe>\S+) drawdown=(?P<drawdown>\S+)"


def sequential_lines(client, project_id: int, backtest_id: str) -> list[str]:
    """One window of 200 after another until `length`."""
    lines: list[str] = []
    start, length = 0, None
    while length is None or start < length:
        answer = client.read_backtest_log(project_id, backtest_id, start, start + LOG_WINDOW)
        if answer.get("status") == "loading":
            time.sleep(0.25)
            continue
        length = answer["length"]
        lines.extend(answer["logs"])
        start += LOG_WINDOW
    return lines


def bench_logs(n: int, latency_ms: float, pool: int) -> None:
    with EmulatorProcess(latency_ms) as emu:
        client = emu.client(pool)
        pid = client.create_project("Logs benchmark")["projectId"]
        main = client.read_file(pid, "main.py")["content"]
        metrics = max(1, n // 100)
        client.update_file(pid, "main.py", main + f"# qc-emulator: log-lines {n - metrics - 3}\n"
                                                  f"# qc-emulator: log-metrics {metrics}\n")
        bt = run_backtest(client, pid, progress="none", poll=(0.05, 0.2), concurrency=pool)
        client.read_backtest_log(pid, bt.id, 0, LOG_WINDOW)   # warm the service's cache for both
        latency = latency_ms / 1000

        before, started = client.transport.requests_made, time.perf_counter()
        frame = bt.logs
        fast = time.perf_counter() - started
        fast_requests = client.transport.requests_made - before

        before, started = client.transport.requests_made, time.perf_counter()
        slow_frame = logs_frame(sequential_lines(client, pid, bt.id))
        slow = time.perf_counter() - started
        slow_requests = client.transport.requests_made - before
        assert len(frame) == len(slow_frame) == n
        assert frame["message"].tolist() == slow_frame["message"].tolist()

        ideal = math.ceil(fast_requests / pool) * latency
        print(f"logs: {n:,} lines with {latency_ms:g} ms latency, pool of {pool} "
              "(emulator in its own process)")
        print(f"  Backtest.logs (concurrent)     {fast_requests:>5} requests  {fast:7.2f} s  "
              f"ideal {ideal:5.2f} s  ratio to ideal {fast / ideal:4.2f}")
        print(f"  one window at a time           {slow_requests:>5} requests  {slow:7.2f} s  "
              f"ideal {slow_requests * latency:5.2f} s")
        print(f"  speed-up: {slow / fast:.1f}x")

        lines = [f"2024-01-02 10:00:{i % 60:02d} {m}" for i, m in enumerate(frame["message"])]
        started = time.perf_counter()
        parsed = logs_frame(lines)
        parse = time.perf_counter() - started
        started = time.perf_counter()
        found = extract(parsed, METRICS)
        pulled = time.perf_counter() - started
        print(f"  in memory: frame of {n:,} lines {parse:5.3f} s, pattern over them {pulled:5.3f} s"
              f" ({len(found):,} metric rows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--pool", type=int, default=16)
    args = parser.parse_args()
    bench_logs(args.lines, args.latency_ms, args.pool)


if __name__ == "__main__":
    main()

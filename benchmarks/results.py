"""Reading results fast.

1. 100,000 orders with 40 ms added latency: Backtest.orders (windows over a bounded pool) against
   the documented loop that reads one window at a time, in the same run; requests made and the
   ideal bound ceil(requests / pool) x latency.
2. Charts of 4,000 to 1,000,000 points: json.loads of the payload alone, against json.loads plus
   the conversion to a DataFrame (target: within 2x).

Run: python benchmarks/results.py [--orders 100000] [--latency-ms 40] [--pool 16]
"""
from __future__ import annotations

import argparse
import json
import math
import random
import secrets
import subprocess
import sys
import time

from qc_magics import QCClient
from qc_magics.jobs import run_backtest
from qc_magics.results import frames
from qc_magics.results.windows import WINDOW


def sequential_orders(client: QCClient, project_id: int, backtest_id: str) -> list[dict]:
    """The loop the API documentation implies: one window after another until `length`."""
    orders: list[dict] = []
    start, length = 0, None
    while length is None or start < length:
        answer = client.read_backtest_orders(project_id, backtest_id, start, start + WINDOW)
        if length is None and not answer["orders"]:
            time.sleep(0.25)   # still loading
            continue
        length = answer["length"]
        orders.extend(answer["orders"])
        start += WINDOW
    return orders


class EmulatorProcess:
    """`qc-magics emulator` in its own process, as the real service is: its CPU work (making and
    encoding orders) must not share this process's interpreter lock with the client's."""

    def __init__(self, latency_ms: float):
        self.token = secrets.token_hex(16)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "qc_magics.cli", "emulator", "--port", "0", "--seed", "5",
             "--time-scale", "0.01", "--latency-ms", str(latency_ms), "--api-token", self.token],
            stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().split(" at ")[1].strip()

    def client(self, pool: int) -> QCClient:
        return QCClient(user_id="1", api_token=self.token, api_url=self.url, pool_size=pool)

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def bench_orders(n: int, latency_ms: float, pool: int) -> None:
    with EmulatorProcess(latency_ms) as emu:
        client = emu.client(pool)
        pid = client.create_project("Orders benchmark")["projectId"]
        main = client.read_file(pid, "main.py")["content"]
        client.update_file(pid, "main.py", main + f"# qc-emulator: orders {n}\n")
        bt = run_backtest(client, pid, progress="none", poll=(0.05, 0.2), concurrency=pool)
        client.read_backtest_orders(pid, bt.id, 0, WINDOW)   # warm the service's cache for both
        latency = latency_ms / 1000

        before, started = client.transport.requests_made, time.perf_counter()
        frame = bt.orders
        fast = time.perf_counter() - started
        fast_requests = client.transport.requests_made - before

        before, started = client.transport.requests_made, time.perf_counter()
        slow_orders = sequential_orders(client, pid, bt.id)
        slow_frame = frames.orders_frame(slow_orders)
        slow = time.perf_counter() - started
        slow_requests = client.transport.requests_made - before
        assert len(frame) == len(slow_frame) == n
        assert frame.index.tolist() == slow_frame.index.tolist()

        ideal = math.ceil(fast_requests / pool) * latency
        print(f"orders: {n:,} with {latency_ms:g} ms latency, pool of {pool} "
              "(emulator in its own process)")
        print(f"  Backtest.orders (concurrent)   {fast_requests:>5} requests  {fast:7.2f} s  "
              f"ideal {ideal:5.2f} s  ratio to ideal {fast / ideal:4.2f}")
        print(f"  one window at a time           {slow_requests:>5} requests  {slow:7.2f} s  "
              f"ideal {slow_requests * latency:5.2f} s")
        print(f"  speed-up: {slow / fast:.1f}x (target 5x or better)")


def chart_payload(points: int) -> bytes:
    rng = random.Random(points)
    t0, equity, candles, returns = 1577880000, 100_000.0, [], []
    for i in range(points):
        o = equity
        equity *= 1 + rng.gauss(0.0003, 0.01)
        candles.append([t0 + 60 * i, round(o, 2), round(max(o, equity) * 1.001, 2),
                        round(min(o, equity) * 0.999, 2), round(equity, 2)])
        returns.append([t0 + 60 * i, None if i % 97 == 0 else round((equity / o - 1) * 100, 4)])
    chart = {"chart": {"name": "Strategy Equity", "chartType": 0, "series": {
        "Equity": {"name": "Equity", "unit": "$", "index": 0, "seriesType": 2, "values": candles},
        "Return": {"name": "Return", "unit": "%", "index": 1, "seriesType": 3,
                   "values": returns}}}, "success": True}
    return json.dumps(chart).encode()


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def bench_charts() -> None:
    print("charts: json.loads alone vs json.loads + DataFrame (best of 3)")
    for points in (4_000, 100_000, 1_000_000):
        payload = chart_payload(points)
        plain = best_of(3, lambda: json.loads(payload))
        full = best_of(3, lambda: frames.chart_frame(json.loads(payload)["chart"]))
        print(f"  {points:>9,} points ({len(payload) / 1e6:6.1f} MB): json.loads {plain:6.3f} s,"
              f" with DataFrame {full:6.3f} s, ratio {full / plain:4.2f} (target <= 2)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--pool", type=int, default=16)
    parser.add_argument("--skip-orders", action="store_true")
    args = parser.parse_args()
    bench_charts()
    if not args.skip_orders:
        bench_orders(args.orders, args.latency_ms, args.pool)


if __name__ == "__main__":
    main()

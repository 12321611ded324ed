"""Reading results fast.

1. 100,000 orders with 40 ms added latency, windows of 100: Backtest.orders (windows over a
   bounded pool) against the documented loop that reads one window at a time, in the same run;
   requests made and the ideal bound ceil(requests / pool) x latency (target: within 1.5x).
   Backtest.orders is timed three ways: as it reads with the `fast` extra (msgspec decoding each
   answer into rows of the frame's fields, results/order_rows.py), with orjson's dicts alone, and
   with the standard library's json; the client's own CPU is shown apart.
   The first read is shown apart: the emulator writes each window's JSON once and keeps it, so
   the runs after it measure the client and the network, as a second read would meet them.
2. Charts of 4,000 to 1,000,000 points: json.loads of the payload alone, against json.loads plus
   the conversion to a DataFrame (target: within 2x).
3. An optimization of 1,000 child backtests (statistics by position, as an object keyed "0".."24"
   and as the older list; candle equity of 250 days each), in the real answer's shape: parsing
   the answer, then `grid` and `equity` (target: under 1 s beyond the request).

Run: python benchmarks/results.py [--orders 100000] [--latency-ms 40] [--pool 16] [--runs 5]
     [--only charts|optimization|orders]
"""
from __future__ import annotations

import argparse
import gc
import json
import math
import os
import random
import secrets
import subprocess
import sys
import time

import statistics

import pandas as pd

from qc_magics import QCClient
from qc_magics.api import decoding
from qc_magics.jobs import run_backtest
from qc_magics.results import frames, order_rows
from qc_magics.results.backtest import Backtest
from qc_magics.results.optimization import Optimization
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

    def cpu_seconds(self) -> float:
        """The emulator process's CPU time so far (Linux /proc; NaN elsewhere)."""
        try:
            fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            return math.nan
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def client(self, pool: int) -> QCClient:
        return QCClient(user_id="1", api_token=self.token, api_url=self.url, pool_size=pool)

    def __enter__(self) -> "EmulatorProcess":
        return self

    def __exit__(self, *exc) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def bench_orders(n: int, latency_ms: float, pool: int, runs: int) -> None:
    with EmulatorProcess(latency_ms) as emu:
        client = emu.client(pool)
        pid = client.create_project("Orders benchmark")["projectId"]
        main = client.read_file(pid, "main.py")["content"]
        client.update_file(pid, "main.py", main + f"# qc-emulator: orders {n}\n")
        bt = run_backtest(client, pid, progress="none", poll=(0.05, 0.2), concurrency=pool)
        client.read_backtest_orders(pid, bt.id, 0, WINDOW)   # warm the service's cache for both
        latency = latency_ms / 1000
        fast_loads = decoding._orjson_loads()   # None without the `fast` extra
        quick = order_rows.decoder() is not None  # msgspec there (the `fast` extra)
        # name: (rows by msgspec, the JSON parser of dicts)
        ways = {"msgspec": (True, fast_loads), "orjson": (False, fast_loads),
                "json": (False, None)}

        def concurrent(way: str) -> tuple[float, int, "object", float, float]:
            order_rows.QUICK, decoding._fast_loads = ways[way]
            fresh = Backtest(client, pid, bt.id, bt.data, concurrency=pool)   # nothing cached
            before, started = client.transport.requests_made, time.perf_counter()
            cpu, emu_cpu = time.process_time(), emu.cpu_seconds()
            frame = fresh.orders
            return (time.perf_counter() - started, client.transport.requests_made - before, frame,
                    time.process_time() - cpu, emu.cpu_seconds() - emu_cpu)

        if not quick:
            del ways["msgspec"]
        if fast_loads is None:
            del ways["orjson"]
        timings: dict[str, list[float]] = {way: [] for way in ways}
        cpus: dict[str, list[tuple[float, float]]] = {way: [] for way in ways}
        requests, made = 0, {}
        # The first read of the backtest: the emulator writes every window's JSON (and keeps
        # it); the runs below read windows it has already written, as a second reader would.
        cold_wall, _, _, cold_cpu, cold_emu = concurrent(next(iter(ways)))
        try:
            for _ in range(runs):
                for name in ways:
                    gc.collect()   # the last run's garbage is not this one's to collect
                    wall, requests, made[name], cpu, emu_cpu = concurrent(name)
                    timings[name].append(wall)
                    cpus[name].append((cpu, emu_cpu))
        finally:
            order_rows.QUICK, decoding._fast_loads = True, fast_loads
        raw = Backtest(client, pid, bt.id, bt.data, concurrency=pool)._orders_raw()
        started = time.perf_counter()
        frame = frames.orders_frame(raw)
        framing = time.perf_counter() - started
        for way, made_frame in made.items():   # every way reads the same values
            pd.testing.assert_frame_equal(made_frame, frame, check_exact=True, obj=way)

        before, started = client.transport.requests_made, time.perf_counter()
        slow_orders = sequential_orders(client, pid, bt.id)
        slow_frame = frames.orders_frame(slow_orders)
        slow = time.perf_counter() - started
        slow_requests = client.transport.requests_made - before
        assert len(frame) == len(slow_frame) == n
        assert frame.index.tolist() == slow_frame.index.tolist()

        ideal = math.ceil(requests / pool) * latency
        print(f"orders: {n:,} with {latency_ms:g} ms latency, windows of {WINDOW}, pool of {pool} "
              f"(emulator in its own process), median (min-max) of {runs} runs")
        for name, walls in timings.items():
            if walls:
                med = statistics.median(walls)
                print(f"  Backtest.orders, {name:<7}       {requests:>5} requests  {med:7.2f} s "
                      f"({min(walls):.2f}-{max(walls):.2f})  ideal {ideal:5.2f} s  "
                      f"ratio to ideal {med / ideal:4.2f} (target <= 1.5)")
                print(f"      CPU: client {statistics.median(c for c, _ in cpus[name]):5.2f} s, "
                      f"emulator {statistics.median(e for _, e in cpus[name]):5.2f} s "
                      f"(machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
        print(f"  first read (the emulator writes each window's JSON): {cold_wall:5.2f} s, ratio to "
              f"ideal {cold_wall / ideal:4.2f}; CPU: client {cold_cpu:5.2f} s, emulator "
              f"{cold_emu:5.2f} s")
        print(f"  of which orders_frame (client CPU, raw orders -> frame): {framing:5.2f} s")
        print(f"  one window at a time           {slow_requests:>5} requests  {slow:7.2f} s  "
              f"ideal {slow_requests * latency:5.2f} s")
        best = statistics.median(next(iter(timings.values())))
        print(f"  speed-up: {slow / best:.1f}x (target 5x or better)")


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


def timings(runs: int, fn) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def bench_charts(runs: int) -> None:
    print(f"charts: json.loads alone vs json.loads + DataFrame, interleaved, best and median "
          f"ratio of {runs} pairs")
    for points in (4_000, 100_000, 1_000_000):
        payload = chart_payload(points)
        pairs = max(3, runs if points <= 100_000 else 3)
        plain, full = [], []
        for _ in range(pairs * (10 if points <= 4_000 else 1)):
            plain += timings(1, lambda: json.loads(payload))
            full += timings(1, lambda: frames.chart_frame(json.loads(payload)["chart"]))
        ratios = sorted(f / p for f, p in zip(full, plain))
        print(f"  {points:>9,} points ({len(payload) / 1e6:6.1f} MB): json.loads {min(plain):6.3f} s,"
              f" with DataFrame {min(full):6.3f} s, ratio of bests {min(full) / min(plain):4.2f}, "
              f"median ratio {statistics.median(ratios):4.2f} (target <= 2)")


def optimization_payload(children: int = 1000, days: int = 250, form: str = "object") -> bytes:
    """/optimizations/read in the real shape: children keyed by id, statistics by position (an
    object "0".."24" plus a custom statistic, or the older list of 21), percent statistics as
    percent numbers, parameter values as strings, equity as daily [t, o, h, l, c] candles."""
    rng = random.Random(children)
    slow = [50 + 5 * k for k in range(children // 40 + 1)]
    backtests = {}
    for i in range(children):
        u = rng.uniform
        stats = [round(u(-1, 1), 3), round(u(0, .5), 3), round(u(0, .2), 3), round(u(-5, 0), 2),
                 round(u(0, 5), 2), round(u(-1, 1), 3), round(u(-20, 60), 3), round(u(0, 40), 1),
                 round(u(1e5, 1e7)), round(u(-1, 1), 3), round(u(-2, 2), 3), round(u(0, 100)),
                 round(u(-50, 150), 3), round(u(0, 100), 3), round(u(0, 3), 2), round(u(-1, 3), 3),
                 round(u(0, 5000), 2), float(rng.randrange(10, 900)), round(u(0, 1), 3),
                 round(u(-1, 1), 3), round(u(0, 100)), round(u(-1, 3), 3), 100000.0,
                 round(u(5e4, 3e5), 2), float(rng.randrange(0, 200))]
        if form == "object":
            statistics_ = {str(k): v for k, v in enumerate(stats)}
            statistics_["customstat"] = round(u(0, 9), 4)
        else:
            statistics_ = stats[:21]
        t0, equity, candles = 1672531200, 100000.0, []
        for k in range(days):
            o = equity
            equity = round(equity * (1 + rng.gauss(0.0004, 0.01)), 2)
            candles.append([t0 + 86400 * k, o, round(max(o, equity) * 1.002, 2),
                            round(min(o, equity) * 0.998, 2), equity])
        bid = "%032x" % rng.getrandbits(128)
        backtests[bid] = {
            "name": f"child {i}", "id": bid, "progress": 1.0, "exitCode": 0,
            "startDate": "2023-01-01T00:00:00Z", "endDate": "2024-01-01T00:00:00Z",
            "outOfSampleMaxEndDate": "2024-01-01T00:00:00Z", "outOfSampleDays": 0,
            "statistics": statistics_,
            "parameterSet": {"ema_fast": str(5 + i % 40), "ema_slow": str(slow[i // 40])},
            "equity": candles}
    return json.dumps({"optimization": {
        "optimizationId": "O-benchmark", "projectId": 1, "name": "grid", "status": "completed",
        "nodeType": "O2-8", "parallelNodes": 4, "created": "2024-01-01 00:00:00",
        "criterion": {"extremum": "max",
                      "target": "TotalPerformance.PortfolioStatistics.SharpeRatio"},
        "parameters": [{"name": "ema_fast", "min": 5, "max": 44, "step": 1},
                       {"name": "ema_slow", "min": 50, "max": slow[-1], "step": 5}],
        "runtimeStatistics": {"Completed": str(children)}, "backtests": backtests},
        "success": True}).encode()


def bench_optimization(runs: int) -> None:
    fast_loads = decoding._orjson_loads()
    parsers = [("orjson", fast_loads)] if fast_loads else []
    parsers.append(("json", json.loads))
    print(f"optimization: 1,000 child backtests x 250 days of equity, median (min-max) of {runs}")
    for form in ("object", "list"):
        payload = optimization_payload(form=form)
        for name, loads in parsers:
            parse, grid, equity = [], [], []
            for _ in range(runs):
                started = time.perf_counter()
                data = loads(payload)["optimization"]
                parsed = time.perf_counter()
                shape = Optimization(None, "O-benchmark", data).grid.shape
                gridded = time.perf_counter()
                Optimization(None, "O-benchmark", data).equity
                done = time.perf_counter()
                parse.append(parsed - started)
                grid.append(gridded - parsed)
                equity.append(done - gridded)
            total = [a + b + c for a, b, c in zip(parse, grid, equity)]
            print(f"  statistics as {form:<6} ({len(payload) / 1e6:4.1f} MB), {name:<6}: parse "
                  f"{statistics.median(parse):5.3f} s, grid {statistics.median(grid):5.3f} s "
                  f"{shape}, equity {statistics.median(equity):5.3f} s; all "
                  f"{statistics.median(total):5.3f} s ({min(total):.3f}-{max(total):.3f}) "
                  "(target < 1 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=40.0)
    parser.add_argument("--pool", type=int, default=16)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-orders", action="store_true")
    parser.add_argument("--only", choices=("charts", "optimization", "orders"),
                        help="run one section")
    args = parser.parse_args()
    sections = {"charts": lambda: bench_charts(args.runs),
                "optimization": lambda: bench_optimization(args.runs),
                "orders": lambda: bench_orders(args.orders, args.latency_ms, args.pool,
                                               args.runs)}
    if args.skip_orders:
        del sections["orders"]
    for name, run in sections.items():
        if args.only in (None, name):
            # Each section starts on a collected heap: what one leaves for the cyclic collector
            # (the 127 MB chart's objects) is not the next one's cost. Without this the orders,
            # run last, measured 5.5 s instead of 3.6-3.9 s (the collector's passes over the
            # charts' garbage).
            gc.collect()
            run()


if __name__ == "__main__":
    main()

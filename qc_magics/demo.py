"""`qc-magics demo`: the quick-start flow against a built-in emulator, narrated.

It needs no account: it starts an emulator on loopback, makes a sample project in it, and walks
through what a user does (write the algorithm, compile, backtest, read results, estimate an
optimization), printing each step.
"""
from __future__ import annotations

import argparse
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


def _wait(what: str, poll, done, interval: float = 0.1, timeout: float = 120.0):
    """Poll until done(value); print a one-line progress that rewrites itself."""
    deadline = time.monotonic() + timeout
    while True:
        value = poll()
        if done(value):
            print(f"\r  {what}: done{' ' * 20}")
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not finish within {timeout:g}s")
        time.sleep(interval)


def run(args: argparse.Namespace) -> int:
    from .api import ParameterRange, QCClient
    from .emulator import Emulator

    with Emulator(time_scale=args.time_scale) as emu:
        print(f"Started a QuantConnect API emulator at {emu.api_url} (no account needed).")
        client = QCClient(**emu.client_kwargs())
        client.authenticate()
        project = client.create_project("Demo Momentum")
        pid = project["projectId"]
        files = [f["name"] for f in client.read_files(pid)]
        print(f"1. Created project {project['name']!r} (id {pid}) with files: {', '.join(files)}")

        client.update_file(pid, "main.py", SAMPLE_ALGORITHM)
        print("2. Pushed the sample algorithm to main.py")

        compiled = client.create_compile(pid)
        state = _wait("compile", lambda: client.read_compile(pid, compiled["compileId"]),
                      lambda c: c["state"] != "InQueue")
        print(f"3. Compiled: {state['state']} ({state['logs'][-1]})")
        if state["state"] != "BuildSuccess":
            return 1

        bt = client.create_backtest(pid, compiled["compileId"], "Demo backtest",
                                    {"ema_fast": 10, "ema_slow": 50})
        bt = _wait("backtest", lambda: client.read_backtest(pid, bt["backtestId"]),
                   lambda b: b.get("completed") and b.get("statistics"))
        stats = bt["statistics"]
        print(f"4. Backtest {bt['backtestId']} {bt['status']}")
        for key in ("Net Profit", "Compounding Annual Return", "Sharpe Ratio", "Drawdown",
                    "Total Orders", "Total Fees"):
            print(f"     {key:<27} {stats[key]}")

        orders = _wait("orders", lambda: client.read_backtest_orders(pid, bt["backtestId"], 0, 99),
                       lambda o: o["length"] > 0)
        print(f"5. Orders: {orders['length']} in all; the first: "
              f"{orders['orders'][0]['symbol']['value']} x {orders['orders'][0]['quantity']:g}")

        grid = [ParameterRange("ema_fast", 5, 30, 5), ParameterRange("ema_slow", 40, 100, 20)]
        estimate = client.estimate_optimization(pid, "Demo grid", target="sharpe",
                                                target_to="max", parameters=grid,
                                                node_type="O2-8", parallel_nodes=4)
        n = 1
        for p in grid:
            n *= len(p.values)
        print(f"6. Optimization estimate: {n} backtests, about {estimate['time']} s on 4 O2-8 "
              f"nodes; balance {estimate['balance']} QCC. (Nothing was run or charged.)")
        print(f"Done: {emu.count('/backtests/read')} backtest reads, {len(emu.requests)} requests.")
    return 0

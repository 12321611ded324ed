"""A local emulator of the QuantConnect API v2: the official spec, and where the real service is
known to differ from it (docs/real-service.md), the real service. QuantConnect's own
CLI works against it (`QC_API=local lean cloud ...` with the emulator on port 5612).

>>> with Emulator(port=0) as emu:
...     client = QCClient(user_id=emu.user_id, api_token=emu.api_token, api_url=emu.api_url)
...     client.list_projects()

It shares nothing with the client but the wording of errors: it is a stand-alone server that any
tool (lean-cli, curl, a browser) can talk to. Shape its results from the algorithm's source with
directive comments: `# qc-emulator: orders 100000`, `points 4000`, `insights 500`,
`duration 2` (seconds), `runtime-error MESSAGE`, `initialize-error MESSAGE` (fails in initialize:
hasInitializeError), `build-error MESSAGE`, `optimization-statistics object` (an optimization's
child statistics as the newer object keyed "0".."24" plus custom names; the positional list that
lean-cli parses is the default). `plot("Chart", "Series", ...)` calls make custom charts and
`set_summary_statistic("Name", value)` calls custom statistics.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from typing import Any, Callable

from .app import App, FAULT_KINDS
from .server import Server
from .state import Timing

__all__ = ["Emulator", "Timing", "FAULT_KINDS"]


class Emulator:
    """Serve the emulated API on HOST:PORT in a background thread (port 0: any free port).

    `time_scale` multiplies how long jobs take; `clock` replaces the emulated cloud's clock (tests
    step it by hand); `loading_reads` is how many reads of a report answer "generating" before it
    comes (a finished backtest's charts, orders and insights answer at once; script "loading");
    `card_on_file=False` makes `account/read` answer `card: null`, as the service does for an
    organization without a card.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, user_id: str | int = "1",
                 api_token: str | None = None, seed: int = 0, latency_ms: float = 0.0,
                 fault_rate: float = 0.0, retry_after: float = 1.0, time_scale: float = 1.0,
                 max_file_size: int = 32_000, loading_reads: int = 1, balance: int = 1000,
                 stale_after: float = 1800.0, state_dir: str | os.PathLike | None = None,
                 card_on_file: bool = True, clock: Callable[[], float] = time.time):
        if not 0.0 <= fault_rate < 1.0:
            raise ValueError(f"fault rate must be in [0, 1), not {fault_rate}")
        self.host = host
        self.port = port
        self.user_id = str(user_id)
        self.api_token = api_token or secrets.token_hex(32)
        self.app = App(user_id=self.user_id, api_token=self.api_token, seed=seed,
                       timing=Timing(scale=time_scale), max_file_size=max_file_size,
                       loading_reads=loading_reads, latency_ms=latency_ms, fault_rate=fault_rate,
                       retry_after=retry_after, stale_after=stale_after, balance=balance,
                       state_dir=str(state_dir) if state_dir else None,
                       card_on_file=card_on_file, clock=clock)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def bind(self) -> "Emulator":
        """Open the listening socket (OSError if the port is taken); does not serve yet."""
        if self._server is None:
            self._server = Server(self.host, self.port, self.app)
            self.port = self._server.server_address[1]
        return self

    def start(self) -> "Emulator":
        """Serve in a background thread."""
        if self._thread is None:
            self.bind()
            # A short poll interval makes stop() quick, which keeps test teardown cheap.
            self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                            name="qc-emulator", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            if self._thread is not None:
                self._server.shutdown()
                self._thread = None
            self._server.server_close()
            self._server = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (used by `qc-magics emulator`)."""
        self.bind()
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Emulator(api_url={self.api_url!r}, user_id={self.user_id!r})"

    # --- what clients need ----------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/api/v2"

    def client_kwargs(self) -> dict[str, str]:
        """Arguments for QCClient(**emu.client_kwargs())."""
        return {"user_id": self.user_id, "api_token": self.api_token, "api_url": self.api_url}

    # --- what tests need ------------------------------------------------------------------------
    @property
    def requests(self) -> list[dict[str, Any]]:
        """Every request received: time, method, endpoint, fields, status, fault (no headers)."""
        with self.app._log_lock:
            return list(self.app.log)

    def clear_log(self) -> None:
        with self.app._log_lock:
            self.app.log.clear()

    def count(self, endpoint: str) -> int:
        return sum(1 for r in self.requests if r["endpoint"] == endpoint)

    @property
    def latency_ms(self) -> float:
        return self.app.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.app.latency_ms = value

    @property
    def fault_rate(self) -> float:
        return self.app.fault_rate

    @fault_rate.setter
    def fault_rate(self, value: float) -> None:
        self.app.fault_rate = value

    @property
    def card_on_file(self) -> bool:
        return self.app.card_on_file

    @card_on_file.setter
    def card_on_file(self, value: bool) -> None:
        self.app.card_on_file = value

    def script_fault(self, endpoint: str, kind: str, times: int = 1) -> None:
        """Fail the next `times` requests to `endpoint`: "429", "500", "502", "503", "504",
        "drop" (close without answering), "malformed" (HTML instead of JSON), "not-object"
        (a JSON list), "stall:SECONDS" (answer only after a delay), or "loading" (a chart, orders
        or insights read answers as if the results were still loading)."""
        self.app.script_fault(endpoint, kind, times)

    def cloud_files(self, project_id: int) -> dict[str, str]:
        """The project's files as the cloud holds them, read without going through HTTP."""
        with self.app.state.lock:
            return {n: f.content for n, f in self.app.state.projects[project_id].files.items()}

    def cloud_write(self, project_id: int, name: str, content: str | None) -> None:
        """Change a cloud file as someone in the cloud IDE would (None deletes it)."""
        from .state import StoredFile
        with self.app.state.lock:
            p = self.app.state.projects[project_id]
            now = self.app.now()
            if content is None:
                p.files.pop(name, None)
            elif name in p.files:
                p.files[name].content, p.files[name].modified = content, now
            else:
                p.files[name] = StoredFile(self.app.state.new_file_id(), name, content, now)
            p.modified = now
            self.app.state.save()

    def run_notebook(self, project_id: int, name: str, timeout: int = 600) -> dict[str, Any]:
        """Press "Run All" on a cloud notebook and wait for it: outputs are stored in the file."""
        from .request import Request
        from .notebooks import run_notebook
        return run_notebook(self.app, Request({"projectId": project_id, "name": name,
                                               "wait": True, "timeout": timeout}, ""))

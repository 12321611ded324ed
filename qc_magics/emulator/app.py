"""The emulated service without the sockets: auth, faults, latency, routing, the request log.

`App.handle` takes what arrived and returns what to send (or None: drop the connection), so the
whole behaviour can be reasoned about in one place and the HTTP layer stays a thin shell.
"""
from __future__ import annotations

import base64
import binascii
import collections
import hashlib
import hmac
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ..errors import Wording
from . import (backtests, collaboration, logs, notebooks, objectstore, optimizations,
               organizations, projects)
from . import shapes   # tests make an endpoint answer in another shape
from .request import BadRequest, Encoded, Request, RouteError, parse_body
from .state import State, Timing

PREFIX = "/api/v2"
FAULT_KINDS = ("429", "500", "503", "drop")


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0


def _json(status: int, payload: dict, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(payload, separators=(",", ":")).encode(),
                 {"Content-Type": "application/json; charset=utf-8", **(headers or {})})


class App:
    def __init__(self, *, user_id: str, api_token: str, seed: int = 0, timing: Timing | None = None,
                 max_file_size: int = 32_000, loading_reads: int = 1, latency_ms: float = 0.0,
                 fault_rate: float = 0.0, retry_after: float = 1.0, stale_after: float = 1800.0,
                 balance: int = 1000, state_dir: str | None = None, card_on_file: bool = True,
                 clock: Callable[[], float] = time.time):
        self.api_token = api_token
        self.timing = timing or Timing()
        self.max_file_size = max_file_size
        self.loading_reads = loading_reads
        self.latency_ms = latency_ms
        self.fault_rate = fault_rate
        self.retry_after = retry_after
        self.stale_after = stale_after
        self.card_on_file = card_on_file   # False: account/read answers `card: null`
        self._clock = clock
        self._request = threading.local()
        org = hashlib.sha256(f"org-{user_id}-{seed}".encode()).hexdigest()[:32]
        self.state = State(seed=seed, user_id=str(user_id), organization_id=org, balance=balance,
                           state_dir=state_dir)
        self.routes: dict[str, Callable[[App, Request], dict]] = {
            **projects.ROUTES, **collaboration.ROUTES, **backtests.ROUTES, **logs.ROUTES,
            **optimizations.ROUTES, **organizations.ROUTES, **objectstore.ROUTES,
            "/authenticate": lambda app, req: {},
        }
        self.read_only = (projects.READ_ONLY | collaboration.READ_ONLY | backtests.READ_ONLY
                          | logs.READ_ONLY | optimizations.READ_ONLY | organizations.READ_ONLY
                          | objectstore.READ_ONLY | {"/authenticate"})
        self.object_store = objectstore.ObjectStore(Path(state_dir) if state_dir else None)
        self.control_routes = dict(notebooks.ROUTES)
        self.log: collections.deque[dict[str, Any]] = collections.deque(maxlen=100_000)
        self._log_lock = threading.Lock()
        self._fault_rng = random.Random(seed ^ 0xFA17)
        self._scripted: dict[str, collections.deque[str]] = collections.defaultdict(
            collections.deque)
        self._cache: collections.OrderedDict[Any, Any] = collections.OrderedDict()
        self._cache_lock = threading.Lock()
        self.notebook_runs: dict[tuple[int, str], dict[str, Any]] = {}
        # How optimizations/read writes child statistics: "list" (positional, what lean-cli 1.0.230
        # parses: since lean-cli works against the real service, the likelier current form) or
        # "object" (keyed "0".."24" plus custom names, Lean PR #8984); a directive overrides.
        self.optimization_statistics = "list"

    # --- helpers for routes ---------------------------------------------------------------------
    def now(self) -> float:
        """The emulated cloud's time; constant within one request, so that everything one
        answer says (a job's status, its progress, its results) describes the same moment."""
        frozen = getattr(self._request, "now", None)
        return frozen if frozen is not None else self._clock()

    def cached(self, key: Any, make: Callable[[], Any], size: int = 64) -> Any:
        """A small LRU of generated results: synthesis is deterministic, so caching is safe."""
        with self._cache_lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        value = make()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > size:
                self._cache.popitem(last=False)
        return value

    def fault(self) -> str | None:
        """The fault scripted for the request being answered, for the kinds a route answers
        itself ("loading": a result that is not ready yet)."""
        return getattr(self._request, "fault", None)

    def script_fault(self, endpoint: str, kind: str, times: int = 1) -> None:
        """Make the next `times` requests to `endpoint` fail with `kind` (see Emulator)."""
        self._scripted[endpoint].extend([kind] * times)

    # --- the request ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, query: str, headers: dict[str, str],
               raw: bytes) -> Reply | None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        endpoint = path[len(PREFIX):] if path.startswith(PREFIX + "/") else None
        entry: dict[str, Any] = {"time": time.time(), "method": method, "endpoint": endpoint or path}
        self._request.now = self._clock()
        self._request.host = headers.get("host")   # the Object Store's download URL is on it
        try:
            reply = self._handle(method, endpoint, query, headers, raw, entry)
        finally:
            self._request.now = self._request.fault = None
        entry["status"] = reply.status if reply else "dropped"
        with self._log_lock:
            self.log.append(entry)
        return reply

    def _handle(self, method: str, endpoint: str | None, query: str, headers: dict[str, str],
                raw: bytes, entry: dict[str, Any]) -> Reply | None:
        if method not in ("POST", "GET"):
            return _json(405, {"success": False, "errors": [f"Method {method} not allowed"]})
        if endpoint is None and entry["endpoint"].startswith(objectstore.DOWNLOAD_PATH):
            with self.state.lock:   # a pre-signed URL: no API credentials asked or checked
                return Reply(*objectstore.download(self, entry["endpoint"], headers))
        if endpoint not in self.routes and endpoint not in self.control_routes:
            return _json(404, {"success": False, "errors": [f"Unknown endpoint {entry['endpoint']}"]})
        denied = self._check_auth(headers)
        if denied:
            entry["fault"] = "unauthorized"
            return _json(401, {"success": False, "errors": [denied]},
                         {"WWW-Authenticate": 'Basic realm="QuantConnect API"'})
        fault = self._fault_for(endpoint)
        if fault:
            entry["fault"] = fault
            early = self._fault_reply(fault)
            if early is not False:
                return early
        try:
            ctype = headers.get("content-type", "")
            fields = (objectstore.parse_multipart(ctype, raw) if ctype.startswith("multipart/")
                      else parse_body(ctype, raw, query))
        except BadRequest as e:
            return _json(400, {"success": False, "errors": [str(e)]})
        entry["fields"] = fields
        self._request.fault = fault
        try:
            if endpoint in self.routes:
                with self.state.lock:
                    result = shapes.apply(self, endpoint,
                                          self.routes[endpoint](self, Request(fields, endpoint)))
                    if endpoint not in self.read_only:
                        self.state.save()
            else:  # control routes take the lock themselves: a notebook run can take minutes
                result = self.control_routes[endpoint](self, Request(fields, endpoint))
        except RouteError as e:
            return _json(200, {"success": False, "errors": e.errors})
        if isinstance(result, Encoded):   # made as JSON already (orders windows): the envelope
            reply = Reply(200, b"{" + b",".join(json.dumps(k).encode() + b":" + v
                                                for k, v in result.fields)
                          + b',"success":true,"errors":[]}',
                          {"Content-Type": "application/json; charset=utf-8"})
        else:
            reply = _json(200, {**result, "success": True, "errors": []})
        if fault == "malformed":
            reply.body = b"<html><body>502 Bad Gateway</body></html>"
            reply.headers["Content-Type"] = "text/html"
        elif fault == "not-object":
            reply.body = b"[]"
        elif fault and fault.startswith("stall"):
            reply.stall = float(fault.partition(":")[2] or 30)
        return reply

    def _check_auth(self, headers: dict[str, str]) -> str | None:
        auth = headers.get("authorization", "")
        stamp = headers.get("timestamp", "")
        if not auth.lower().startswith("basic ") or not stamp:
            return Wording.UNAUTHORIZED
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
            ts = int(stamp)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return Wording.UNAUTHORIZED
        if abs(self.now() - ts) > self.stale_after:
            return Wording.STALE_TIMESTAMP
        expected = hashlib.sha256(f"{self.api_token}:{ts}".encode()).hexdigest()
        # Compare both before deciding, so the answer's timing says nothing about which was wrong.
        ok_user = hmac.compare_digest(user.encode(), self.state.user_id.encode())
        ok_hash = hmac.compare_digest(password.encode(), expected.encode())
        return None if ok_user and ok_hash else Wording.HASH_MISMATCH

    def _fault_for(self, endpoint: str) -> str | None:
        scripted = self._scripted.get(endpoint)
        if scripted:
            try:
                return scripted.popleft()
            except IndexError:
                pass
        if self.fault_rate and endpoint in self.routes:
            with self._log_lock:
                if self._fault_rng.random() < self.fault_rate:
                    return self._fault_rng.choice(FAULT_KINDS)
        return None

    def _fault_reply(self, fault: str) -> Reply | None | bool:
        """The reply a fault gives before the route runs; False: the route runs (late faults)."""
        if fault == "drop":
            return None
        if fault.isdigit():
            status = int(fault)
            headers = {"Retry-After": f"{self.retry_after:g}"} if status in (429, 503) else {}
            return _json(status, {"success": False, "errors": [f"HTTP {status} (injected)"]},
                         headers)
        return False


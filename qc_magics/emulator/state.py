"""What the emulated cloud holds: projects and files, compiles, backtests, optimizations.

Jobs store when they started, not where they are: their state (queued, running, done) is computed
from the clock on every read, so they advance without a scheduler thread and survive a restart
with --state-dir.
"""
from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


def stamp(t: float) -> str:
    """QuantConnect's timestamp style: "2024-03-01 14:05:09" (UTC)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))


@dataclass
class Timing:
    """How long jobs take, in seconds, before `scale` is applied (tests run at scale 0.05)."""

    compile: float = 1.0
    backtest_queue: float = 0.5
    backtest_run: float = 3.0
    statistics_lag: float = 0.5
    optimization_queue: float = 1.0
    optimization_backtest: float = 2.0
    scale: float = 1.0

    def __call__(self, name: str) -> float:
        return getattr(self, name) * self.scale


@dataclass
class StoredFile:
    id: int
    name: str
    content: str
    modified: float
    is_library: bool = False


@dataclass
class Project:
    id: int
    name: str
    language: str
    organization_id: str
    owner_id: int
    created: float
    modified: float
    description: str = ""
    files: dict[str, StoredFile] = field(default_factory=dict)
    lock_holder: str | None = None
    lock_until: float = 0.0
    parameters: list[dict[str, str]] = field(default_factory=list)   # [{"key", "value"}]
    libraries: list[int] = field(default_factory=list)               # library project ids
    collaborators: list[dict[str, Any]] = field(default_factory=list)  # besides the owner


@dataclass
class Compile:
    id: str
    project_id: int
    created: float
    succeeds: bool
    logs: list[str]
    parameters: list[dict]
    sources: dict[str, str]


@dataclass
class Backtest:
    id: str
    project_id: int
    compile_id: str
    name: str
    created: float
    parameters: dict[str, str]
    sources: dict[str, str]
    seed: int
    note: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class Optimization:
    id: str
    project_id: int
    name: str
    created: float
    compile_id: str
    target: str
    target_to: str
    target_value: float | None
    parameters: list[dict]
    constraints: list[dict]
    node_type: str
    parallel_nodes: int
    estimated_cost: float
    sources: dict[str, str]
    children: list[dict]          # [{"id": ..., "parameterSet": {...}, "seed": ...}]
    aborted_at: float | None = None


class State:
    """The store, one lock around it; routes hold the lock only while they read or change it."""

    def __init__(self, *, seed: int, user_id: str, organization_id: str, balance: int,
                 state_dir: str | os.PathLike | None = None):
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.seed = seed
        self.user_id = user_id
        self.organization_id = organization_id
        self.balance = balance
        self.projects: dict[int, Project] = {}
        self.compiles: dict[str, Compile] = {}
        self.backtests: dict[str, Backtest] = {}
        self.optimizations: dict[str, Optimization] = {}
        self.next_project_id = 20_000_000 + seed % 1_000_000
        self.next_file_id = 1
        self.reads: dict[str, int] = {}   # how often a result was read, for "loading" answers
        self.state_dir = Path(state_dir) if state_dir else None
        if self.state_dir:
            self._load()

    # --- ids ------------------------------------------------------------------------------------
    def hex_id(self) -> str:
        return "%032x" % self.rng.getrandbits(128)

    def new_project_id(self) -> int:
        self.next_project_id += self.rng.randint(1, 97)
        return self.next_project_id

    def new_file_id(self) -> int:
        self.next_file_id += 1
        return self.next_file_id

    def count_read(self, key: str) -> int:
        """How many times `key` was read before this read (0 on the first)."""
        n = self.reads.get(key, 0)
        self.reads[key] = n + 1
        return n

    # --- persistence ----------------------------------------------------------------------------
    def save(self) -> None:
        if not self.state_dir:
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "rng": _rng_state(self.rng), "balance": self.balance,
            "next_project_id": self.next_project_id, "next_file_id": self.next_file_id,
            "projects": [_project_json(p) for p in self.projects.values()],
            "compiles": [asdict(c) for c in self.compiles.values()],
            "backtests": [asdict(b) for b in self.backtests.values()],
            "optimizations": [asdict(o) for o in self.optimizations.values()],
        }
        write_json_atomic(self.state_dir / "state.json", data)

    def _load(self) -> None:
        path = self.state_dir / "state.json"
        if not path.exists():
            return
        data = json.loads(path.read_text(encoding="utf-8"))
        self.rng.setstate(_rng_unstate(data["rng"]))
        self.balance = data["balance"]
        self.next_project_id = data["next_project_id"]
        self.next_file_id = data["next_file_id"]
        for p in data["projects"]:
            files = {f["name"]: StoredFile(**f) for f in p.pop("files")}
            self.projects[p["id"]] = Project(**p, files=files)
        self.compiles = {c["id"]: Compile(**c) for c in data["compiles"]}
        self.backtests = {b["id"]: Backtest(**b) for b in data["backtests"]}
        self.optimizations = {o["id"]: Optimization(**o) for o in data["optimizations"]}


def _project_json(p: Project) -> dict[str, Any]:
    d = asdict(p)
    d["files"] = list(d["files"].values())
    return d


def _rng_state(rng: random.Random) -> list:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _rng_unstate(s: list) -> tuple:
    return (s[0], tuple(s[1]), s[2])


def write_json_atomic(path: Path, data: Any) -> None:
    """Write `data` as JSON to `path` through a temporary file and os.replace, so a killed
    emulator leaves the previous state whole, never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

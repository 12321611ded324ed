"""Where each file stands: one of eight states, from the local copy, the base and the cloud copy.

| state            | meaning                                                                |
| in-sync          | both sides hold the same work (notebook outputs may differ locally)   |
| local-changed    | changed here since the last sync; the cloud did not change             |
| cloud-changed    | changed in the cloud since the last sync; the local work did not       |
| conflict         | both changed, differently (or differ on a first sync)                  |
| local-only       | never synced, only here                                                |
| cloud-only       | never synced, only in the cloud                                        |
| deleted-locally  | synced before, gone here, still in the cloud                           |
| deleted-in-cloud | synced before, gone from the cloud, still here                         |
"""
from __future__ import annotations

from typing import Any

from ..records import Record
from .content import Fingerprint
from .names import printable
from .state import Base

STATES = ("in-sync", "local-changed", "cloud-changed", "conflict", "local-only", "cloud-only",
          "deleted-locally", "deleted-in-cloud")


def classify(local: Fingerprint | None, base: Base | None, cloud: Fingerprint | None) -> str | None:
    """The state of one file; None when it exists on neither side."""
    if local is None and cloud is None:
        return None
    if local is None:
        return "cloud-only" if base is None else "deleted-locally"
    if cloud is None:
        return "local-only" if base is None else "deleted-in-cloud"
    if local.whole == cloud.whole:
        return "in-sync"
    cloud_changed = base is None or cloud.whole != base.whole
    if local.work == cloud.work:
        # Same work on both sides: only outputs differ. New cloud outputs are worth pulling;
        # outputs made locally are results, not work to push.
        return "cloud-changed" if cloud_changed else "in-sync"
    if base is None:
        return "conflict"
    local_changed = local.work != base.work
    if local_changed and cloud_changed:
        return "conflict"
    if local_changed:
        return "local-changed"
    return "cloud-changed" if cloud_changed else "conflict"


class FileStatus(Record):
    """One file's state (see the module docstring), with sizes and times where known."""

    name: str
    state: str
    local_size: int | None = None
    cloud_size: int | None = None
    local_modified: float | None = None
    cloud_modified: str | None = None
    note: str = ""

    def __init__(self, name: str, state: str, local_size: int | None = None,
                 cloud_size: int | None = None, local_modified: float | None = None,
                 cloud_modified: str | None = None, note: str = ""):
        self.name, self.state, self.note = name, state, note
        self.local_size, self.cloud_size = local_size, cloud_size
        self.local_modified, self.cloud_modified = local_modified, cloud_modified


def _frame(rows: list[dict[str, Any]], columns: list[str]):
    import pandas as pd

    frame = pd.DataFrame(rows, columns=columns)
    return frame


def _html(frame) -> str:
    """The report's table in a notebook, every detail whole: a cut "pull first (…" hides the
    very advice the line is for (pandas cuts text at 50 characters by default)."""
    import pandas as pd
    with pd.option_context("display.max_colwidth", None):
        return _shown(frame)._repr_html_()


def _shown(frame):
    """The frame as displayed: names and notes escaped (bidi overrides reorder HTML too)."""
    frame = frame.copy()
    frame.index = frame.index.map(printable)
    for column in ("note", "detail"):
        if column in frame:
            frame[column] = frame[column].map(printable)
    return frame


class StatusReport(Record):
    """Every file's state; `to_frame()` for a DataFrame, str() for a terminal table."""

    project_id: int
    folder: str
    files: list[FileStatus]

    def __init__(self, project_id: int, folder: str, files: list[FileStatus] | None = None):
        self.project_id, self.folder = project_id, folder
        self.files = [] if files is None else files

    def __iter__(self):
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, name: str) -> FileStatus:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(name)

    def summary(self) -> str:
        """One line: "3 files: 2 in-sync, 1 local-changed"."""
        counts: dict[str, int] = {}
        for f in self.files:
            counts[f.state] = counts.get(f.state, 0) + 1
        states = ", ".join(f"{n} {state}" for state, n in counts.items())
        return f"{len(self.files)} files" + (f": {states}" if states else "")

    def states(self) -> dict[str, str]:
        return {f.name: f.state for f in self.files}

    def to_frame(self):
        import pandas as pd

        frame = _frame([vars(f) for f in self.files], ["name", "state", "local_size",
                                                      "cloud_size", "local_modified",
                                                      "cloud_modified", "note"])
        frame["state"] = pd.Categorical(frame["state"], categories=list(STATES))
        frame["local_size"] = frame["local_size"].astype("Int64")
        frame["cloud_size"] = frame["cloud_size"].astype("Int64")
        frame["local_modified"] = pd.to_datetime(frame["local_modified"], unit="s", utc=True)
        frame["cloud_modified"] = pd.to_datetime(frame["cloud_modified"], utc=True,
                                                 format="%Y-%m-%d %H:%M:%S")
        return frame.set_index("name")

    def _repr_html_(self) -> str:
        import html

        return (f"<div>project {self.project_id} &harr; <code>{html.escape(self.folder)}"
                "</code></div>" + _html(self.to_frame()))

    def __repr__(self) -> str:   # a terminal shows the table, not the dataclass fields
        return str(self)

    def __str__(self) -> str:
        # Names come from the cloud: escaped, so each file stays one line and moves no cursor.
        folder = printable(self.folder)
        if not self.files:
            return f"project {self.project_id} <-> {folder}: no files"
        names = [printable(f.name) for f in self.files]
        width = max(map(len, names))
        lines = [f"project {self.project_id} <-> {folder}"]
        for name, f in zip(names, self.files):
            lines.append(f"  {name:<{width}}  {f.state:<16} {printable(f.note)}".rstrip())
        return "\n".join(lines)


# What a dry run says it would do, in place of what a run says it did.
WOULD = {"pulled": "would pull", "pushed": "would push", "created": "would create",
         "removed": "would delete", "renamed": "would rename", "restored": "would restore",
         "conflict-copy": "would keep both"}
DRY_RUN_NOTE = "dry run: nothing was changed"


class FileAction(Record):
    """What a pull or push did with one file."""

    name: str
    action: str        # pulled, pushed, merged, created, kept, conflict-copy, refused, ...
    state: str         # the state before the action
    detail: str = ""

    def __init__(self, name: str, action: str, state: str, detail: str = ""):
        self.name, self.action, self.state, self.detail = name, action, state, detail


class SyncReport(Record):
    """What a pull or push did (or, with dry_run, would do), file by file."""

    operation: str
    dry_run: bool = False
    actions: list[FileAction]
    # The program whose commands the advice names ("qc-magics", "%qc"); None: the Python API.
    prog: str | None = None

    def __init__(self, operation: str, dry_run: bool = False,
                 actions: list[FileAction] | None = None, prog: str | None = None):
        self.operation, self.dry_run, self.prog = operation, dry_run, prog
        self.actions = [] if actions is None else actions

    def command(self, words: str, call: str) -> str:
        """Advice in the words of whoever asked: `qc-magics diff x.py` in a shell, `%qc diff
        x.py` in a notebook, the Python call (`diff('x.py')`) through the API."""
        return f"{self.prog} {words}" if self.prog else call

    def add(self, name: str, action: str, state: str, detail: str = "") -> None:
        self.actions.append(FileAction(name, action, state, detail))

    def summary(self) -> str:
        """What was done, in one line ("pushed main.py; refused x:y.py"); "" when nothing."""
        by_action: dict[str, list[str]] = {}
        for action in self.actions:
            by_action.setdefault(self.said(action.action), []).append(action.name)
        return "; ".join(f"{action} {', '.join(names)}" for action, names in by_action.items())

    def _with(self, *actions: str) -> list[FileAction]:
        return [a for a in self.actions if a.action in actions]

    @property
    def changed(self) -> list[str]:
        return [a.name for a in self._with("pulled", "pushed", "merged", "created", "restored")]

    @property
    def conflicts(self) -> list[FileAction]:
        return self._with("conflict-copy")

    @property
    def refused(self) -> list[FileAction]:
        return self._with("refused")

    def to_frame(self):
        return _frame([vars(a) for a in sorted(self.actions, key=lambda a: a.name)],
                      ["name", "action", "state", "detail"]).set_index("name")

    def said(self, action: str) -> str:
        """An action as the report says it: a dry run speaks in the conditional ("would push")."""
        return WOULD.get(action, action) if self.dry_run else action

    def _repr_html_(self) -> str:
        import html
        verb = f"{self.operation} (dry run)" if self.dry_run else self.operation
        if not self.actions:
            return f"<div>{verb}: nothing to do</div>"
        frame = self.to_frame()
        if self.dry_run:
            frame["action"] = frame["action"].map(self.said)
        tail = f"<div>{html.escape(DRY_RUN_NOTE)}</div>" if self.dry_run else ""
        return f"<div><b>{verb}</b></div>" + _html(frame) + tail

    def __repr__(self) -> str:
        return str(self)

    def __str__(self) -> str:
        verb = f"{self.operation} (dry run)" if self.dry_run else self.operation
        if not self.actions:
            return f"{verb}: nothing to do"
        width = max(len(printable(a.name)) for a in self.actions)
        said = max(len(self.said(a.action)) for a in self.actions)
        lines = [f"{verb}:"]
        for a in sorted(self.actions, key=lambda a: a.name):
            lines.append(f"  {printable(a.name):<{width}}  {self.said(a.action):<{said}}  "
                         f"{printable(a.detail)}".rstrip())
        if self.dry_run:
            lines.append(DRY_RUN_NOTE)
        return "\n".join(lines)


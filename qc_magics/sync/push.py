"""Pushing: check every outgoing file before any request, decide per file, then send.

The API has no conditional write, so a cloud edit made during a push could be overwritten. The
window is kept small: each file is re-read just before its update (one read of the whole project
per group of updates when the project is small, else one read per file), and after the push the
cloud is read once more and any file that differs from what was sent is reported.
"""
from __future__ import annotations

import time
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .. import progress as progress_bars
from ..waiting import bounded_pool
from ..errors import NotFoundError, QCError, TransportError
from .content import InvalidNotebook, fingerprint, is_notebook
from .disk import NotText, backup, check_name, read_text, write_atomic
from .notebook_check import outgoing_notebook
from .state import SyncState
from .status import SyncReport, classify

if TYPE_CHECKING:
    from .folder import ProjectFolder

EMPTY_UPDATE = ("is empty, and the QuantConnect service does not accept empty content for a "
                "file that exists in the cloud: give it content (a comment will do), or remove "
                "the cloud file with rm")


class SyncError(QCError):
    """A push or pull that was refused as a whole, before anything was written or sent."""


@dataclass
class Outgoing:
    local_name: str
    text: str          # what the local file holds after the push (parameters injected)
    content: str       # what is sent: a notebook checked, without outputs unless asked
    changes_local: bool = False   # text differs from the file on disk (parameters injected)


@dataclass
class Planned:
    name: str                 # cloud name
    content: str
    state: str                # the file's state before the push
    seen: str | None          # the cloud text the decision was made on (None: not in the cloud)
    local: Outgoing | None = None   # a local file to rewrite once the write is going ahead
    note: str = ""


def prepare_outgoing(selected: list[str], local: dict[str, Path], *, size_cap: int,
                     keep_outputs: bool, as_name: str | None,
                     parameters: Mapping[str, Any] | None,
                     skipped: dict[str, str] | None = None) -> dict[str, Outgoing]:
    """What to send, by cloud name. Every check that can fail before a request fails here, for
    all files at once, so a refused push sends nothing and changes nothing on disk.

    A file the API cannot hold at all (not UTF-8 text) is not a problem of the push: it goes
    into `skipped` with why, and the rest goes. (Empty files go: see plan_push.)
    """
    outgoing: dict[str, Outgoing] = {}
    problems: list[str] = []
    skipped = {} if skipped is None else skipped
    for name in selected:
        cname = check_name(as_name or name)
        try:
            text = read_text(local[name])
        except NotText as e:
            skipped[name] = str(e)
            continue
        if text is None:
            problems.append(f"{name}: the local file disappeared")
            continue
        try:
            item = outgoing_item(name, text, size_cap=size_cap, keep_outputs=keep_outputs,
                                 parameters=parameters)
        except (InvalidNotebook, SyncError) as e:
            problems.append(str(e))
            continue
        outgoing[cname] = item
    if problems:
        raise SyncError("nothing was pushed:\n  " + "\n  ".join(problems))
    return outgoing


def outgoing_item(name: str, text: str, *, size_cap: int, keep_outputs: bool = False,
                  parameters: Mapping[str, Any] | None = None) -> Outgoing:
    """One file's text and content to send, checked: a notebook is valid (parameters injected
    first), the content fits the cap. Raises InvalidNotebook or SyncError, one line each."""
    original = text
    if parameters:
        from .parameters import inject_parameters
        text = inject_parameters(text, parameters, name=name)
    content = text
    if is_notebook(name):
        try:
            content = outgoing_notebook(name, text, keep_outputs=keep_outputs)
        except InvalidNotebook as e:
            raise InvalidNotebook(f"{e}; fix it in Jupyter before pushing") from None
    if len(content) > size_cap:
        what = "without outputs " if is_notebook(name) and not keep_outputs else ""
        raise SyncError(
            f"{name} is {len(content):,} characters {what}and the cloud's cap is "
            f"{size_cap:,} per file: split it or move data out of it (or raise "
            "size_cap if your QuantConnect plan allows larger files)")
    return Outgoing(name, text, content, text != original)


def cloud_text(cfile: dict) -> str:
    """A cloud file's text: the service may send null (or nothing) for an empty file."""
    content = cfile.get("content")
    return content if isinstance(content, str) else ""


def _same(name: str, a: str | None, b: str | None) -> bool:
    """Do two cloud texts hold the same thing (whole: work and outputs)?"""
    if a is None or b is None:
        return a is b
    if a == b:
        return True
    try:
        return fingerprint(name, a).whole == fingerprint(name, b).whole
    except InvalidNotebook:
        return False


def plan_push(outgoing: dict[str, Outgoing], cloud: dict[str, dict], state: SyncState,
              report: SyncReport, *, force: bool, keep_outputs: bool) -> list[Planned]:
    """Decide file by file what to send; refusals and files already there go to the report."""
    from .folder import _side   # the same reading of a side as status and pull
    plan: list[Planned] = []
    for cname, item in outgoing.items():
        lside = _side(cname, item.text)
        cfile = cloud.get(cname)
        seen = cloud_text(cfile) if cfile else None
        cside = _side(cname, seen) if cfile else None
        base = state.get(cname)
        st = classify(lside.fp, base, cside and cside.fp)
        sent = fingerprint(cname, item.content)
        if cside is not None and cside.fp.whole == sent.whole:
            if not report.dry_run and (base is None or base.whole != sent.whole):
                state.record(cname, item.content)
            report.add(cname, "up-to-date", st)
            continue
        if st in ("conflict", "cloud-changed", "deleted-in-cloud") and not force:
            why = {"conflict": "both sides changed since the last sync",
                   "cloud-changed": "the cloud copy changed since the last sync",
                   "deleted-in-cloud": "it was deleted in the cloud since the last sync"}[st]
            report.add(cname, "refused", st, f"{why}: pull first (a conflict keeps both "
                                             "versions), or push with force to overwrite")
            continue
        if st == "in-sync" and not keep_outputs:
            report.add(cname, "up-to-date", st)
            continue
        if not item.content and cfile is not None:
            report.add(cname, "refused", st, f"{item.local_name} {EMPTY_UPDATE}")
            continue
        plan.append(Planned(cname, item.content, st, seen, item if item.changes_local else None))
    return plan


def apply_locally(folder: "ProjectFolder", name: str, text: str, state: SyncState) -> str:
    """Make the local file hold `text`, backing up content that was never synced. Called only
    once the cloud write is going ahead. Returns a note for the report ("" when none)."""
    from .disk import local_path
    path = local_path(folder.root, name)
    old = read_text(path) if path.exists() else None
    if old == text:
        return ""
    note = ""
    if old is not None:
        base = state.get(name)
        try:
            synced = base is not None and fingerprint(name, old).whole == base.whole
        except InvalidNotebook:
            synced = False
        if not synced:
            saved = backup(folder.root, name, path)
            note = f"previous local content backed up to {saved.relative_to(folder.root)}"
    write_atomic(path, text)
    return note


def push_outgoing(folder: "ProjectFolder", outgoing: dict[str, Outgoing], *, force: bool,
                  dry_run: bool, keep_outputs: bool,
                  skipped: Mapping[str, str] | None = None) -> SyncReport:
    """Decide, change the local files that must change (only those whose cloud write goes
    ahead), send, and check what landed."""
    cloud, _ = folder._cloud()
    state = folder._state()
    report = SyncReport("push", dry_run)
    for name, why in (skipped or {}).items():
        report.add(name, "skipped", "", why)
    plan = plan_push(outgoing, cloud, state, report, force=force, keep_outputs=keep_outputs)
    if dry_run:
        for p in plan:
            report.add(p.name, "pushed" if p.seen is not None else "created", p.state)
        return report
    # The cloud already holds what a rewritten local file would send: rewrite it now. The
    # planned ones are rewritten in _send_one, after their last check, right before the update.
    notes = {a.name: apply_locally(folder, outgoing[a.name].local_name, outgoing[a.name].text,
                                   state) for a in report.actions
             if a.action == "up-to-date" and outgoing[a.name].changes_local}
    with state.batch():
        send_files(folder, plan, state, report, force=force, project_size=len(cloud))
    verify_pushed(folder, report, {p.name: p.content for p in plan})
    notes.update({p.name: p.note for p in plan})
    for a in report.actions:
        if notes.get(a.name):
            a.detail = "; ".join(filter(None, [a.detail, notes[a.name]]))
    return report


class _ChangedMeanwhile(QCError):
    """The cloud copy changed between the push's first read and this file's update."""


def _chunks(plan: list[Planned], size: int) -> list[list[Planned]]:
    return [plan[i:i + size] for i in range(0, len(plan), size)]


def _group_read(folder: "ProjectFolder", group: list[Planned], project_size: int,
                force: bool) -> dict[str, str] | None:
    """Fresh cloud texts for a group of updates in one request, when that is cheaper than one
    read per file (the whole project is at most a few times the group); None otherwise."""
    updates = [p for p in group if p.seen is not None]
    if force or len(updates) < 2 or project_size > 4 * len(updates):
        return None
    return {f["name"]: cloud_text(f) for f in folder.client.read_files(folder.project_id)}


def send_files(folder: "ProjectFolder", plan: list[Planned], state: SyncState,
               report: SyncReport, *, force: bool, project_size: int) -> None:
    """Send the planned files over a bounded pool, a group at a time, each checked against a
    fresh read of the cloud just before its update; record each one as soon as it lands."""
    if not plan:
        return
    bar = progress_bars.bar(len(plan), "push", folder.progress, unit="file")
    try:
        with bounded_pool(min(folder.concurrency, len(plan)), "qc-push") as pool:
            for group in _chunks(plan, folder.concurrency):
                fresh = _group_read(folder, group, project_size, force)
                futures = {pool.submit(_send_one, folder, p, fresh, force, state): p for p in group}
                for future in as_completed(futures):
                    p = futures[future]
                    try:
                        created = future.result()
                    except _ChangedMeanwhile as e:
                        report.add(p.name, "refused", p.state, str(e))
                    except QCError as e:
                        report.add(p.name, "failed", p.state, str(e))
                    else:
                        state.record(p.name, p.content)
                        report.add(p.name, "created" if created else "pushed", p.state)
                    bar.update()
    finally:
        bar.close()


def verify_pushed(folder: "ProjectFolder", report: SyncReport, sent: dict[str, str]) -> None:
    """Read the cloud once more and say which pushed files no longer hold what was sent:
    someone edited them during or right after the push. Nothing is changed."""
    landed = {a.name: a for a in report.actions if a.action in ("pushed", "created")
              and a.name in sent}
    if not landed:
        return
    try:
        now = {f["name"]: cloud_text(f) for f in folder.client.read_files(
            folder.project_id)}
    except QCError as e:
        for a in landed.values():
            a.detail = f"sent; could not read it back to check ({e})"
        return
    for name, action in landed.items():
        if not _same(name, now.get(name), sent[name]):
            gone = name not in now
            action.detail = ("the cloud copy " + ("was deleted" if gone else "differs from what "
                             "was sent") + " right after the push (someone is editing the "
                             "project): pull to see it")


CREATE_ATTEMPTS = 6


def _send_one(folder: "ProjectFolder", p: Planned, fresh: dict[str, str] | None,
              force: bool, state: SyncState) -> bool:
    """Send one file; True when it was created. Refuses (_ChangedMeanwhile) an update whose
    cloud copy changed since the push's first read, unless force."""
    pid = folder.project_id
    exists = p.seen is not None
    if exists and not force:
        if fresh is not None:
            now = fresh.get(p.name)
        else:
            try:
                now = cloud_text(folder.client.read_file(pid, p.name))
            except NotFoundError:
                now = None
        if not _same(p.name, now, p.seen):
            what = "deleted" if now is None else "changed"
            raise _ChangedMeanwhile(f"it was {what} in the cloud during the push: pull first, "
                                    "or push with force to overwrite")
    if p.local is not None:   # every check passed: the local file follows (parameters, write)
        p.note = apply_locally(folder, p.local.local_name, p.local.text, state)
    if exists:
        folder.client.update_file(pid, p.name, p.content)   # idempotent: the client retries it
        return False
    # Creates are not retried blindly: after a failure whose outcome is unknown, look first.
    # There with our content: it went through. Not there at all: creating it again is safe.
    for attempt in range(CREATE_ATTEMPTS):
        try:
            # An empty file is created without content: the service refuses an explicit "".
            folder.client.create_file(pid, p.name, p.content or None)
            return True
        except TransportError:
            if attempt == CREATE_ATTEMPTS - 1:
                raise
        try:
            cloud = folder.client.read_file(pid, p.name)
        except NotFoundError:
            time.sleep(folder.client.transport.retry.delay(attempt, None))
            continue
        if cloud_text(cloud) == p.content:
            return True
        raise QCError(f"{p.name} appeared in the cloud with other content while it was being "
                      "created; pull to see it")
    return True

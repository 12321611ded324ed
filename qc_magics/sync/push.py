"""Pushing: check every outgoing file before any request, decide per file, then send.

A file whose content is what was last synced has nothing to send: it is reported `unchanged`
without any request (the sync state says so; whether the cloud changed is for status and pull).
Every other file is decided on a fresh read of its cloud copy, made just before its update: the
API has no conditional write, so that read is what keeps the window for a cloud edit to be
overwritten small. Files go out in adaptive waves (waves.py); a wave reads its files by name, or
the whole project in one request when that is about as small.

A file both sides changed is merged against the last synced version first when the changes do
not overlap (merge.py): the merge goes out, the local file holds it (its content before goes to
the backups), and the report says `merged`; overlapping changes are refused, naming the clash.

A push of several files takes long enough for someone to edit one in the cloud while the rest go
out, so afterwards the cloud is read once more and any file that no longer holds what was sent is
reported (nothing is changed). A push of one file skips that read: its check came just before its
update, and status or pull shows a later edit.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from .. import progress as progress_bars
from ..errors import NotFoundError, QCError, TransportError
from .clashes import local_clashes
from .content import InvalidNotebook, fingerprint, is_notebook
from .disk import ChangedMeanwhile, NotText, backup, check_name, local_path, read_text, write_atomic
from .errors import SyncError
from .linked import Linked
from .merge import FileMerge, try_merge
from .notebook_check import outgoing_notebook
from .names import typed
from .sides import cloud_content, side
from .state import SyncState
from .status import SyncReport, classify

EMPTY_UPDATE = ("is empty, and the QuantConnect service does not accept empty content for a "
                "file that exists in the cloud: give it content (a comment will do), or remove "
                "the cloud file with rm")


@dataclass
class Outgoing:
    local_name: str
    text: str          # what the local file holds after the push (parameters injected)
    content: str       # what is sent: a notebook checked, without outputs unless asked
    changes_local: bool = False   # text differs from the file on disk (parameters injected)
    read: str | None = None       # the file's text as read for this push (None: not from disk)


@dataclass
class Planned:
    name: str                 # cloud name
    content: str
    state: str                # the file's state before the push
    seen: str | None          # the cloud text the decision was made on (None: not in the cloud)
    local: Outgoing | None = None   # a local file to rewrite once the write is going ahead
    note: str = ""
    merged: bool = False      # both sides' changes, merged here first (merge.py)


def prepare_outgoing(selected: list[str], local: dict[str, Path], *, size_cap: int,
                     keep_outputs: bool, as_name: str | None,
                     parameters: Mapping[str, Any] | None,
                     skipped: dict[str, str] | None = None) -> dict[str, Outgoing]:
    """What to send, by cloud name. Every check that can fail before a request fails here, for
    all files at once, so a refused push sends nothing and changes nothing on disk.

    A file the API cannot hold at all (not UTF-8 text) is not a problem of the push: it goes
    into `skipped` with why, and the rest goes. (Empty files go: see plan_one.)
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
    return Outgoing(name, text, content, text != original, read=original)


cloud_text = cloud_content   # the name push's callers know


def unchanged_here(name: str, item: Outgoing, base, keep_outputs: bool) -> bool:
    """Nothing to send: what would be sent is what was last synced (for a notebook pushed
    without outputs, the same work). Such a file needs no request: if the cloud changed since,
    a push would refuse it anyway, and status and pull say so."""
    if base is None or item.changes_local:
        return False
    sent = fingerprint(name, item.content)
    if sent.whole == base.whole:
        return True
    if keep_outputs:
        return False
    try:
        return fingerprint(name, item.text).work == base.work
    except InvalidNotebook:
        return False


def plan_one(cname: str, item: Outgoing, cfile: dict | None, state: SyncState,
             report: SyncReport, *, force: bool, keep_outputs: bool,
             size_cap: int, merge: bool = True) -> Planned | None:
    """Decide one file on its cloud copy (None: not in the cloud); a refusal or a file already
    there goes to the report and None is returned. A file both sides changed is merged first
    when the changes do not overlap (see merge_first), unless merge=False."""
    lside = side(cname, item.text)   # the same reading of a side as status and pull
    seen = cloud_text(cfile) if cfile else None
    cside = side(cname, seen) if cfile else None
    base = state.get(cname)
    st = classify(lside.fp, base, cside and cside.fp)
    sent = fingerprint(cname, item.content)
    if cside is not None and cside.fp.whole == sent.whole:
        if not report.dry_run and (base is None or base.whole != sent.whole):
            state.record(cname, item.content)
        report.add(cname, "up-to-date", st)
        return None
    if st == "conflict" and not force and merge and item.local_name == cname:
        merged = try_merge(cname, lside, cside, state)
        if merged is not None:   # else there is nothing to merge from: refused below, as before
            return merge_first(cname, merged, seen, report, keep_outputs=keep_outputs,
                               size_cap=size_cap, read=item.read)
    if st in ("conflict", "cloud-changed", "deleted-in-cloud") and not force:
        why = {"conflict": "both sides changed since the last sync",
               "cloud-changed": "the cloud copy changed since the last sync",
               "deleted-in-cloud": "it was deleted in the cloud since the last sync"}[st]
        advice = _pull_first(report, cname) if st != "deleted-in-cloud" else (
            f"{report.command(f'push {typed(cname)} --force', f'push([{cname!r}], force=True)')}"
            " creates it again; or delete it here")   # a pull keeps the file: no way out there
        report.add(cname, "refused", st, f"{why}: {advice}")
        return None
    if st == "in-sync" and not keep_outputs:
        report.add(cname, "up-to-date", st)
        return None
    if not item.content and cfile is not None:
        report.add(cname, "refused", st, f"{item.local_name} {EMPTY_UPDATE}")
        return None
    return Planned(cname, item.content, st, seen, item if item.changes_local else None)


def _pull_first(report: SyncReport, name: str) -> str:
    q = typed(name)
    return (f"pull first ({report.command(f'pull {q}', f'pull([{name!r}])')} keeps both "
            f"versions), or {report.command(f'push {q} --force', f'push([{name!r}], force=True)')}"
            " to overwrite the cloud's")


def merge_first(cname: str, merge: FileMerge, seen: str | None, report: SyncReport, *,
                keep_outputs: bool, size_cap: int, read: str | None = None) -> Planned | None:
    """A file both sides changed, merged against the last synced version, planned to go out as
    the merge, which the local file then holds (its content before goes to the backups, see
    apply_locally): a pull-merge and a push in one call. When the changes overlap, or the merge
    could not be sent, it is refused as before, with what clashes, and None is returned."""
    if not merge.clean:
        report.add(cname, "refused", "conflict", "both sides changed since the last sync "
                   f"(clashing: {'; '.join(merge.clashes)}): {_pull_first(report, cname)}")
        return None
    try:
        merged = outgoing_item(cname, merge.text or "", keep_outputs=keep_outputs,
                               size_cap=size_cap)
    except (InvalidNotebook, SyncError) as e:
        report.add(cname, "refused", "conflict", f"both sides changed; the merge cannot be "
                                                  f"sent: {e}")
        return None
    merged.changes_local = True
    merged.read = read   # the local file the merge was made from: replaced only if unchanged
    return Planned(cname, merged.content, "conflict", seen, merged,
                   note=f"both sides changed; merged first: {merge.taken or 'the same changes'}",
                   merged=True)


def apply_locally(folder: Linked, name: str, text: str, state: SyncState,
                  read: str | None = None) -> str:
    """Make the local file hold `text`, backing up content that was never synced. Called only
    once the cloud write is going ahead. Returns a note for the report ("" when none)."""
    path = local_path(folder.root, name)
    old = read_text(path) if path.exists() else None
    if old == text:
        return ""
    if read is not None and old != read:
        # Saved again since this push read it (a live sync, an editor): that save is newer
        # than anything planned from the old text. Nothing is written or sent for the file.
        raise ChangedMeanwhile(f"{name} changed here while it was being pushed; nothing was "
                               "sent for it, and the next push or sync takes the new version")
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


def push_outgoing(folder: Linked, outgoing: dict[str, Outgoing], *, force: bool,
                  dry_run: bool, keep_outputs: bool,
                  skipped: Mapping[str, str] | None = None,
                  refused: Mapping[str, str] | None = None,
                  local_names: Iterable[str] = (), merge: bool = True) -> SyncReport:
    """Report what is refused or has nothing to send; read, decide and send the rest, file by
    file. `refused` holds files refused before this (name -> why); `local_names` every file here
    by the cloud name it would take, for the clash check of new names. merge=False refuses a
    file both sides changed instead of merging it first (`write`: its text is the content)."""
    state = folder._state()
    report = SyncReport("push", dry_run, prog=getattr(folder, "prog", None))
    for name, why in (skipped or {}).items():
        report.add(name, "skipped", "", why)
    for name, why in (refused or {}).items():
        report.add(name, "refused", "local-only" if state.get(name) is None else "",
                   f"not sent: it {why}")
    todo: dict[str, Outgoing] = {}
    for cname, item in outgoing.items():
        if not force and unchanged_here(cname, item, state.get(cname), keep_outputs):
            report.add(cname, "unchanged", "", "not changed here since the last sync: nothing "
                                               "to send")
        else:
            todo[cname] = item
    _refuse_cloud_clashes(folder, todo, state, report, local_names)
    if not todo:
        return report
    known = len(set(state.bases) | set(outgoing))
    with state.batch():
        sent = send_files(folder, todo, state, report, force=force, keep_outputs=keep_outputs,
                          project_size=known, merge=merge)
    if len(sent) > 1:
        verify_pushed(folder, report, sent, state)
    return report


def _refuse_cloud_clashes(folder: Linked, todo: dict[str, Outgoing], state: SyncState,
                          report: SyncReport, local_names: Iterable[str]) -> None:
    """A name never synced may clash with a cloud name this folder does not know (created
    there since): its twin, a file where its folder would be, files inside it. One read of the
    project says, before any file is sent; names already synced need no read (status and pull
    show a clash made since). Refused names leave `todo` and go to the report."""
    new = [n for n in todo if state.get(n) is None]
    if not new:
        return
    cloud = {str(f.get("name") or "") for f in folder.client.read_files(folder.project_id)
             if folder.include_libraries or not f.get("isLibrary")}
    clashing = local_clashes(new, set(local_names) | set(todo), cloud | set(state.bases),
                             state.bases)
    for name, verdict in clashing.items():
        del todo[name]
        report.add(name, "refused", "local-only", f"not sent: it {verdict.why}")


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


def verify_pushed(folder: Linked, report: SyncReport, sent: dict[str, str],
                  state: SyncState) -> None:
    """Read the cloud once more and say which pushed files no longer hold what was sent:
    someone edited them during or right after the push. Nothing is changed."""
    landed = {a.name: a for a in report.actions if a.action in ("pushed", "merged", "created")
              and a.name in sent}
    if not landed:
        return
    try:
        now = {f["name"]: cloud_text(f) for f in folder.client.read_files(folder.project_id)}
    except QCError as e:
        for a in landed.values():
            a.detail = f"sent; could not read it back to check ({e})"
        return
    for name, action in landed.items():
        if not _same(name, now.get(name), sent[name]):
            # What was sent is not what the cloud holds, so it is no synced version: without a
            # base, both sides count as changed, and a pull keeps this file and writes the
            # cloud's beside it instead of replacing what was just pushed.
            state.forget(name)
            gone = name not in now
            action.detail = ("the cloud copy " + ("was deleted" if gone else "differs from what "
                             "was sent") + " right after the push (someone is editing the "
                             "project): a pull keeps yours and writes theirs beside it")


WHOLE_READ = 4   # a wave reads the whole project in one request when it is this share or more


def _whole_read(folder: Linked, wave: list[str], project_size: int
                ) -> dict[str, dict | None] | None:
    """The wave's cloud files in one request, when the project is at most WHOLE_READ times the
    wave: one answer a few times larger beats that many requests, each a round trip and a
    service call; None otherwise (each file is read by name)."""
    if len(wave) < 2 or project_size > WHOLE_READ * len(wave):
        return None
    files = {f["name"]: f for f in folder.client.read_files(folder.project_id)}
    return {name: files.get(name) for name in wave}


def send_files(folder: Linked, todo: dict[str, Outgoing], state: SyncState,
               report: SyncReport, *, force: bool, keep_outputs: bool,
               project_size: int, merge: bool = True) -> dict[str, str]:
    """Read, decide and send each file in adaptive waves; record each one as soon as it lands.
    Returns what was sent, by name."""
    sent: dict[str, str] = {}
    from .waves import Waves
    transport = getattr(folder.client, "transport", None)
    waves = Waves(folder.concurrency, folder.max_concurrency,
                  lambda: getattr(transport, "retries_made", 0))
    folder.wave_sizes = waves.sizes
    fresh: dict[str, dict | None] = {}   # the current wave's cloud files, when read whole

    def before(wave: list[str]) -> None:
        fresh.clear()
        fresh.update(_whole_read(folder, wave, project_size) or {})

    def one(name: str) -> tuple[Planned | None, bool]:
        if name in fresh:
            cfile = fresh[name]
        else:
            try:
                cfile = folder.client.read_file(folder.project_id, name)
            except NotFoundError:
                cfile = None
        p = plan_one(name, todo[name], cfile, state, report, force=force,
                     keep_outputs=keep_outputs, size_cap=folder.size_cap, merge=merge)
        if p is None or report.dry_run:
            return p, False
        created = _send_one(folder, p, state)
        # Recorded here, in the worker: the base copy is a disk write, which runs in parallel.
        state.record(p.name, p.content)
        return p, created

    bar = progress_bars.bar(len(todo), "push", "none" if report.dry_run else folder.progress,
                            unit="file")
    try:
        for name, future in waves.run(list(todo), one, "qc-push", before=before):
            try:
                p, created = future.result()
            except QCError as e:
                report.add(name, "failed", "", str(e))
            else:
                if p is not None and report.dry_run:
                    report.add(p.name, "merged" if p.merged else "pushed" if p.seen is not None
                               else "created", p.state, p.note)
                elif p is not None:
                    report.add(p.name, "merged" if p.merged else "created" if created
                               else "pushed", p.state, p.note)
                    sent[p.name] = p.content
            bar.update()
    finally:
        bar.close()
    return sent


CREATE_ATTEMPTS = 6


def _send_one(folder: Linked, p: Planned, state: SyncState) -> bool:
    """Send one planned file, decided on a read made just before; True when it was created."""
    pid = folder.project_id
    exists = p.seen is not None
    if p.local is not None:   # every check passed: the local file follows (parameters, write)
        backed_up = apply_locally(folder, p.local.local_name, p.local.text, state,
                                  read=p.local.read)
        p.note = "; ".join(n for n in (p.note, backed_up) if n)
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

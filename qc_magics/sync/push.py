"""Pushing: check every outgoing file before any request, then send them concurrently."""
from __future__ import annotations

import time
from concurrent.futures import as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from .. import progress as progress_bars
from ..waiting import bounded_pool
from ..errors import NotFoundError, QCError, TransportError
from .content import InvalidNotebook, is_notebook, strip_outputs, valid_notebook_text
from .disk import NotText, check_name, read_text
from .state import SyncState
from .status import SyncReport

if TYPE_CHECKING:
    from .folder import ProjectFolder


class SyncError(QCError):
    """A push or pull that was refused as a whole, before anything was written or sent."""


def prepare_outgoing(selected: list[str], local: dict[str, Path], *, size_cap: int,
                     keep_outputs: bool, as_name: str | None,
                     parameters: Mapping[str, Any] | None,
                     skipped: dict[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """Local text and the content to send, by cloud name. Every check that can fail before
    a request fails here, for all files at once, so a refused push sends nothing.

    Files the API cannot hold at all (not UTF-8 text; empty, which QuantConnect refuses on
    update) are not problems of the push: they go into `skipped` with why, and the rest goes.
    """
    outgoing: dict[str, tuple[str, str]] = {}
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
        if parameters:
            from .parameters import inject_parameters
            try:
                text = inject_parameters(text, parameters)
            except InvalidNotebook as e:
                problems.append(f"{name} is not a valid notebook ({e}); fix it in Jupyter "
                                "before pushing")
                continue
        content = text
        if is_notebook(name):
            try:
                content = valid_notebook_text(text) if keep_outputs else strip_outputs(text)
            except Exception as e:  # nbformat raises many unrelated types for bad input
                problems.append(f"{name} is not a valid notebook ({type(e).__name__}: "
                                f"{str(e)[:120]}); fix it in Jupyter before pushing")
                continue
        if len(content) > size_cap:
            what = "without outputs " if is_notebook(name) and not keep_outputs else ""
            problems.append(
                f"{name} is {len(content):,} characters {what}and the cloud's cap is "
                f"{size_cap:,} per file: split it or move data out of it (or raise "
                "size_cap if your QuantConnect plan allows larger files)")
            continue
        if not content:
            skipped[name] = ("empty, and QuantConnect refuses empty content: give it a line "
                             "(even a comment) to push it")
            continue
        outgoing[cname] = (text, content)
    if problems:
        raise SyncError("nothing was pushed:\n  " + "\n  ".join(problems))
    return outgoing

def send_files(folder: "ProjectFolder", plan: list[tuple[str, str, str]], in_cloud: set[str],
               state: SyncState, report: SyncReport) -> None:
    """Send the planned files over a bounded pool; record each one as soon as it lands."""
    if not plan:
        return
    bar = progress_bars.bar(len(plan), "push", folder.progress, unit="file")
    try:
        with bounded_pool(min(folder.concurrency, len(plan)), "qc-push") as pool:
            futures = {pool.submit(_send_one, folder, cname, content, cname in in_cloud):
                       (cname, content, st) for cname, content, st in plan}
            for future in as_completed(futures):
                cname, content, st = futures[future]
                try:
                    future.result()
                except QCError as e:
                    report.add(cname, "failed", st, str(e))
                else:
                    state.record(cname, content)
                    report.add(cname, "pushed" if cname in in_cloud else "created", st)
                bar.update()
    finally:
        bar.close()


CREATE_ATTEMPTS = 6


def _send_one(folder: "ProjectFolder", name: str, content: str, exists: bool) -> None:
    pid = folder.project_id
    if exists:
        folder.client.update_file(pid, name, content)   # idempotent: the client retries it
        return
    # Creates are not retried blindly: after a failure whose outcome is unknown, look first.
    # There with our content: it went through. Not there at all: creating it again is safe.
    for attempt in range(CREATE_ATTEMPTS):
        try:
            folder.client.create_file(pid, name, content)
            return
        except TransportError:
            if attempt == CREATE_ATTEMPTS - 1:
                raise
        try:
            cloud = folder.client.read_file(pid, name)
        except NotFoundError:
            time.sleep(folder.client.transport.retry.delay(attempt, None))
            continue
        if cloud.get("content") == content:
            return
        raise QCError(f"{name} appeared in the cloud with other content while it was being "
                      "created; pull to see it")

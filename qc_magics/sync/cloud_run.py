"""Wait for a person to run a notebook in the cloud, then pull it.

The API cannot execute a notebook: someone presses "Run All" in the cloud IDE. What can be seen
from here is the cloud copy's outputs changing from what was pushed. Polling is read-only, so
Ctrl-C at any moment leaves both sides as they were.
"""
from __future__ import annotations

import time

from .. import progress as progress_bars
from ..errors import InvalidArgument, WaitTimeout
from .content import InvalidNotebook, fingerprint, is_notebook
from .linked import Linked
from .sides import cloud_content
from .status import SyncReport


def wait_for_run(folder: Linked, name: str, *, timeout: float = 900.0,
                 poll_interval: float = 5.0) -> SyncReport:
    """Poll the cloud copy of notebook `name` until its outputs differ from the last synced
    version, then pull it (local edits made meanwhile are kept, as in any pull)."""
    if not is_notebook(name):
        raise InvalidArgument(f"{name} is not a notebook; only notebooks are run in the cloud")
    base = folder._state().get(name)
    if base is None:
        raise InvalidArgument(f"{name} has not been synced from {folder.root}: push it (or pull "
                              "it) first, so there is a version to compare the run with")
    started = time.monotonic()
    bar = progress_bars.bar(None, f"waiting for a cloud run of {name}", folder.progress,
                            unit="poll")
    try:
        while True:
            content = cloud_content(folder.client.read_file(folder.project_id, name))
            try:
                changed = fingerprint(name, content).outputs != base.outputs
            except InvalidNotebook:
                changed = True   # the pull will save it raw and say so
            if changed:
                break
            waited = time.monotonic() - started
            if waited >= timeout:
                raise WaitTimeout(
                    f"{name} was not run in the cloud within {timeout:g}s: open it in the "
                    "QuantConnect cloud IDE, press Run All, and wait again")
            bar.set_postfix_str(f"{waited:.0f}s")
            bar.update()
            time.sleep(min(poll_interval, max(0.0, timeout - waited)))
    finally:
        bar.close()
    return folder.pull([name])

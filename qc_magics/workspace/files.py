"""Files: the local folder against the cloud project (status, pull, push, diff, write, rm, mv,
a notebook's outputs, waiting for a run in the cloud). Each is one call of sync.ProjectFolder
on the session's project; the rules that keep work safe live there."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..errors import InvalidArgument
from .base import WorkspaceBase

Names = Sequence[str] | None


class FileActions(WorkspaceBase):
    def status(self, paths: Names = None, *, project: str | None = None,
               to: str | None = None):
        """Each file's state, local folder against cloud (sync.StatusReport)."""
        return self.folder(project, to).status(list(paths) if paths else None)

    def pull(self, paths: Names = None, *, all: bool = False, force: bool = False,
             dry_run: bool = False, project: str | None = None, to: str | None = None):
        """Bring cloud changes here, keeping local work (sync.SyncReport)."""
        if not paths and not all:
            raise InvalidArgument(f"name the files to pull, or add --all ({self.prog} status "
                                  "lists them)")
        return self.folder(project, to).pull(list(paths) if paths else None, all=all,
                                             force=force, dry_run=dry_run)

    def push(self, paths: Names = None, *, all: bool = False, force: bool = False,
             dry_run: bool = False, keep_outputs: bool = False, as_name: str | None = None,
             parameters: Mapping[str, Any] | None = None, project: str | None = None,
             to: str | None = None):
        """Send local changes to the cloud, never over cloud changes (sync.SyncReport)."""
        if not paths and not all:
            raise InvalidArgument(f"name the files to push, or add --all ({self.prog} status "
                                  "lists them)")
        return self.folder(project, to).push(list(paths) if paths else None, all=all,
                                             force=force, dry_run=dry_run,
                                             keep_outputs=keep_outputs, as_name=as_name,
                                             parameters=dict(parameters) if parameters else None)

    def diff(self, path: str, *, base: bool = False, project: str | None = None,
             to: str | None = None):
        """The local file against the cloud copy, or (base=True) the last synced version."""
        return self.folder(project, to).diff(path, against="base" if base else "cloud")

    def write(self, name: str, content: str, *, force: bool = False,
              project: str | None = None, to: str | None = None):
        """`content` becomes cloud file NAME (and the local copy), created or updated."""
        return self.folder(project, to).write(name, content, force=force)

    def remove(self, name: str, *, force: bool = False, project: str | None = None,
               to: str | None = None):
        """Delete a cloud file; the local copy moves to the backups. The face asks first."""
        return self.folder(project, to).remove(name, force=force)

    def rename(self, old: str, new: str, *, project: str | None = None,
               to: str | None = None):
        """Rename a cloud file; the local file follows."""
        return self.folder(project, to).rename(old, new)

    def outputs(self, name: str, *, project: str | None = None, to: str | None = None):
        """A notebook's outputs as Python values, as last run in the cloud."""
        return self.folder(project, to).outputs(name)

    def wait_for_run(self, name: str, *, timeout: float | None = None,
                     project: str | None = None, to: str | None = None):
        """Wait until the notebook was run in the cloud ("Run All"), then pull it."""
        s = self.settings
        # 0 is a timeout too (check once): only a missing one falls back to the default.
        timeout = next(t for t in (timeout, s.timeout, 900.0) if t is not None)
        return self.folder(project, to).wait_for_run(
            name, timeout=timeout, poll_interval=max(1.0, s.poll_interval))

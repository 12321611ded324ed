"""Endpoints for projects, their files, and the project lock."""
from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from .answers import first, listing
from .base import Endpoints, need_name, need_project_id

# The service's delete is soft: the project stays in projects/read under this prefix.
DELETED_PREFIX = "Recycle Bin/"


def is_deleted(project: dict[str, Any]) -> bool:
    """True for a project that was deleted (it sits in the Recycle Bin)."""
    return str(project.get("name") or "").startswith(DELETED_PREFIX)


class ProjectEndpoints(Endpoints):
    # --- projects -------------------------------------------------------------------------------
    def create_project(self, name: str, language: str = "Py",
                       organization_id: str | None = None) -> dict[str, Any]:
        """Create a project and return it as the service made it.

        The service may name it differently than asked ("Momentum 1" when "Momentum" exists):
        the returned project's `name` is the one to use afterwards. A Py project starts with
        main.py and research.ipynb, a C# one with Main.cs and Research.ipynb.

        >>> client.create_project("Momentum", language="Py")["projectId"]
        """
        if language not in ("Py", "C#"):
            raise InvalidArgument(f"language must be 'Py' or 'C#', not {language!r}")
        data = self._post("/projects/create", {
            "name": need_name(name, "project name"), "language": language,
            "organizationId": organization_id or self.credentials.organization_id,
        }, idempotent=False)
        return first(data, "projects", "/projects/create")

    def list_projects(self, start: int | None = None, end: int | None = None, *,
                      include_deleted: bool = False) -> list[dict]:
        """Every project of the user (optionally the slice [start, end) of the service's list).

        Deleted projects (named "Recycle Bin/<name>") are left out unless `include_deleted`.
        """
        data = self._post("/projects/read", {"start": start, "end": end})
        projects = listing(data, "projects", "/projects/read")
        return [p for p in projects if include_deleted or not is_deleted(p)]

    def read_project(self, project_id: int) -> dict[str, Any]:
        data = self._post("/projects/read", {"projectId": need_project_id(project_id)})
        return first(data, "projects", "/projects/read")

    def update_project(self, project_id: int, name: str | None = None,
                       description: str | None = None) -> None:
        if name is None and description is None:
            raise InvalidArgument("update_project needs a new name or description")
        self._post("/projects/update", {"projectId": need_project_id(project_id),
                                        "name": name, "description": description})

    def delete_project(self, project_id: int) -> None:
        self._post("/projects/delete", {"projectId": need_project_id(project_id)})

    def acquire_project_lock(self, project_id: int) -> None:
        """Take the project's edit lock for this client's codeSourceId, as the cloud IDE does."""
        self._post("/projects/collaboration/lock/acquire", {
            "projectId": need_project_id(project_id), "codeSourceId": self.code_source_id})

    # --- files ----------------------------------------------------------------------------------
    def read_files(self, project_id: int) -> list[dict]:
        """All files of a project, contents included, in one request."""
        data = self._post("/files/read", {"projectId": need_project_id(project_id)})
        return listing(data, "files", "/files/read")

    def read_file(self, project_id: int, name: str) -> dict[str, Any]:
        data = self._post("/files/read", {"projectId": need_project_id(project_id),
                                          "name": need_name(name, "file name")})
        return first(data, "files", "/files/read")

    def create_file(self, project_id: int, name: str, content: str | None) -> dict[str, Any]:
        """Create a file; returns it as the service describes it, or {name, content} when the
        answer holds no `files` list (the real service may leave it out). content=None creates an
        empty file: the service refuses an explicit empty content, but creates an empty file when
        the field is absent."""
        fields = {"projectId": need_project_id(project_id), "name": need_name(name, "file name"),
                  "codeSourceId": self.code_source_id}
        if content is not None:
            fields["content"] = content
        data = self._post("/files/create", fields, idempotent=False)
        return _written(data, name, content or "")

    def update_file(self, project_id: int, name: str, content: str) -> dict[str, Any]:
        """Replace a file's content (the file must exist); returns the file as in create_file.

        The service answers an update without a `files` list: read the file again when its
        modified time is needed.
        """
        data = self._post("/files/update", {
            "projectId": need_project_id(project_id), "name": need_name(name, "file name"),
            "content": content, "codeSourceId": self.code_source_id})
        return _written(data, name, content)

    def rename_file(self, project_id: int, name: str, new_name: str) -> None:
        self._post("/files/update", {
            "projectId": need_project_id(project_id), "name": need_name(name, "file name"),
            "newName": need_name(new_name, "new file name"), "codeSourceId": self.code_source_id},
            idempotent=False)

    def delete_file(self, project_id: int, name: str) -> None:
        self._post("/files/delete", {
            "projectId": need_project_id(project_id), "name": need_name(name, "file name"),
            "codeSourceId": self.code_source_id})

    def patch_file(self, project_id: int, patch: str) -> None:
        """Apply a unified git diff to the project's files; it must match the cloud file exactly."""
        if not patch.strip():
            raise InvalidArgument("patch is empty")
        # Not retried: a patch applied once no longer applies, so a retry would report failure.
        self._post("/files/patch", {"projectId": need_project_id(project_id), "patch": patch,
                                    "codeSourceId": self.code_source_id}, idempotent=False)


def _written(data: dict, name: str, content: str) -> dict[str, Any]:
    """The file an answer describes, else what is known: the name and the content sent."""
    for item in data.get("files") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    return {"name": name, "content": content}

"""Endpoints for projects, their files, and the project lock."""
from __future__ import annotations

from typing import Any

from ..errors import InvalidArgument
from .base import Endpoints, need_name, need_project_id


class ProjectEndpoints(Endpoints):
    # --- projects -------------------------------------------------------------------------------
    def create_project(self, name: str, language: str = "Py",
                       organization_id: str | None = None) -> dict[str, Any]:
        """Create a project and return it (a Py project starts with main.py and research.ipynb).

        >>> client.create_project("Momentum", language="Py")["projectId"]
        """
        if language not in ("Py", "C#"):
            raise InvalidArgument(f"language must be 'Py' or 'C#', not {language!r}")
        data = self._post("/projects/create", {
            "name": need_name(name, "project name"), "language": language,
            "organizationId": organization_id or self.credentials.organization_id,
        }, idempotent=False)
        return _first(data, "projects", "/projects/create")

    def list_projects(self, start: int | None = None, end: int | None = None) -> list[dict]:
        """Every project of the user (optionally the slice [start, end) of the list)."""
        data = self._post("/projects/read", {"start": start, "end": end})
        return list(data.get("projects") or [])

    def read_project(self, project_id: int) -> dict[str, Any]:
        data = self._post("/projects/read", {"projectId": need_project_id(project_id)})
        return _first(data, "projects", "/projects/read")

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
        return list(data.get("files") or [])

    def read_file(self, project_id: int, name: str) -> dict[str, Any]:
        data = self._post("/files/read", {"projectId": need_project_id(project_id),
                                          "name": need_name(name, "file name")})
        return _first(data, "files", "/files/read")

    def create_file(self, project_id: int, name: str, content: str | None) -> None:
        """Create a file. content=None creates an empty one: the service refuses an explicit
        empty content, but creates an empty file when the field is absent."""
        fields = {"projectId": need_project_id(project_id), "name": need_name(name, "file name"),
                  "codeSourceId": self.code_source_id}
        if content is not None:
            fields["content"] = content
        self._post("/files/create", fields, idempotent=False)

    def update_file(self, project_id: int, name: str, content: str) -> None:
        """Replace a file's content (the file must exist)."""
        self._post("/files/update", {
            "projectId": need_project_id(project_id), "name": need_name(name, "file name"),
            "content": content, "codeSourceId": self.code_source_id})

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


def _first(data: dict, key: str, endpoint: str) -> dict[str, Any]:
    from ..errors import MalformedResponse
    items = data.get(key)
    if not isinstance(items, list) or not items:
        raise MalformedResponse(f"{endpoint}: the answer has no {key}", endpoint=endpoint)
    return items[0]

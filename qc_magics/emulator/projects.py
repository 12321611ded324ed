"""Routes for projects and their files, with the rules the real service keeps.

Where the real service differs from the spec (REAL-SERVICE.md, "Files and projects"): a new C#
project holds `Main.cs` and `Research.ipynb`; `files/create` without `content` makes an empty file
but an explicit `""` is refused, as is `files/update` with `""`; neither answers with a `files`
list; `projects/read` refuses start >= end; `projects/update` refuses another project's name and
takes what lean-cli sends (files, parameters, libraries); `projects/delete` only moves the project
to "Recycle Bin/<name>". Every write obeys the project lock (collaboration.check_lock).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Wording
from .collaboration import check_lock, collaborators_json
from .patching import PatchError, apply_patch
from .request import Request, RouteError
from .state import Project, StoredFile, stamp
from .templates import initial_files

if TYPE_CHECKING:
    from .app import App

LEAN_VERSIONS = [{"id": 17052, "created": "2026-11-02 18:20:11", "description": "LEAN 2.5.17052",
                  "leanHash": "2b1c5e2f1c3d", "leanCloudHash": "8e4f4c1aa0b9", "name": "17052",
                  "ref": "master", "public": True}]
RECYCLE_BIN = "Recycle Bin/"
# The service's wording is not known; lean-cli and mcp-server only see that the update fails.
NAME_TAKEN = "A project named {name!r} already exists (id {project_id}); choose another name."


def project_json(app: "App", p: Project) -> dict[str, Any]:
    return {
        "projectId": p.id, "organizationId": p.organization_id, "name": p.name,
        "modified": stamp(p.modified), "created": stamp(p.created), "ownerId": p.owner_id,
        "language": p.language, "collaborators": collaborators_json(app, p),
        "leanVersionId": LEAN_VERSIONS[0]["id"], "leanPinnedToMaster": True, "owner": True,
        "description": p.description, "channelId": "",
        "parameters": [dict(x) for x in p.parameters],
        "libraries": [_library_json(app, i) for i in p.libraries if i in app.state.projects],
        "encrypted": False, "codeRunning": False, "leanEnvironment": 1,
    }


def _library_json(app: "App", project_id: int) -> dict[str, Any]:
    lib = app.state.projects[project_id]
    return {"projectId": lib.id, "libraryName": lib.name, "ownerName": "Emulated User",
            "access": True}


def file_json(p: Project, f: StoredFile) -> dict[str, Any]:
    return {"id": f.id, "projectId": p.id, "name": f.name, "content": f.content,
            "modified": stamp(f.modified), "open": False, "isLibrary": f.is_library}


def find_project(app: "App", req: Request) -> Project:
    project_id = req.int("projectId")
    try:
        return app.state.projects[project_id]
    except KeyError:
        raise RouteError(Wording.PROJECT_NOT_FOUND.format(project_id=project_id)) from None


def _check_name(name: str) -> str:
    if "\x00" in name or name.startswith("/") or "\\" in name or ".." in name.split("/"):
        raise RouteError(Wording.BAD_FIELD.format(field="name", reason=f"{name!r} is not a "
                                                  "valid file path"))
    return name


def _project_name(raw: str) -> str:
    """The name the service keeps: no leading or trailing "/" and no empty path parts (lean-cli
    expects a different name back and strips a leading "/" itself, `project_client.py`)."""
    name = "/".join(part.strip() for part in raw.split("/") if part.strip())
    if not name:
        raise RouteError(Wording.BAD_FIELD.format(field="name", reason="a project needs a name"))
    return name


def _check_write(app: "App", p: Project, req: Request, name: str, content: str) -> None:
    check_lock(app, p, req)
    _check_size(app, name, content)


def _check_size(app: "App", name: str, content: str) -> None:
    if len(content) > app.max_file_size:
        raise RouteError(Wording.FILE_TOO_LARGE.format(name=name, size=len(content),
                                                       cap=app.max_file_size))


def _touch(app: "App", p: Project) -> float:
    p.modified = app.now()
    return p.modified


def create_project(app: "App", req: Request) -> dict:
    name = _project_name(req.str("name"))
    language = req.str("language")
    if language not in ("Py", "C#"):
        raise RouteError(Wording.BAD_FIELD.format(field="language", reason="use 'Py' or 'C#'"))
    now = app.now()
    p = Project(id=app.state.new_project_id(), name=name, language=language,
                organization_id=req.str("organizationId", app.state.organization_id),
                owner_id=int(app.state.user_id) if app.state.user_id.isdigit() else 1,
                created=now, modified=now)
    for fname, content in initial_files(name, language).items():
        p.files[fname] = StoredFile(app.state.new_file_id(), fname, content, now)
    app.state.projects[p.id] = p
    return {"projects": [project_json(app, p)], "versions": LEAN_VERSIONS}


def read_projects(app: "App", req: Request) -> dict:
    if req.has("projectId"):
        return {"projects": [project_json(app, find_project(app, req))], "versions": LEAN_VERSIONS}
    projects = sorted(app.state.projects.values(), key=lambda p: p.id)
    start = req.int("start", 0)
    end = req.int("end", None)
    if end is not None and start >= end:
        raise RouteError(Wording.BAD_FIELD.format(
            field="start", reason=f"start ({start}) must be less than end ({end})"))
    return {"projects": [project_json(app, p) for p in projects[start:end]],
            "versions": LEAN_VERSIONS}


def update_project(app: "App", req: Request) -> dict:
    """Name, description, and what lean-cli's push sends form-encoded: `files[i][name|content]`
    (the project's files become exactly these), `parameters[i][key|value]` (or `parameters=""`
    to clear them), `libraries[i]`; `versionId`, `leanEnvironment` and `encryptionKey` are
    accepted and not modelled. Checked in full before anything changes."""
    p = find_project(app, req)
    check_lock(app, p, req)
    name = _project_name(req.str("name")) if req.has("name") else None
    if name is not None and name != p.name:
        taken = next((q for q in app.state.projects.values() if q.name == name), None)
        if taken is not None:
            raise RouteError(NAME_TAKEN.format(name=name, project_id=taken.id))
    files = _files_field(app, req) if "files" in req.fields else None
    parameters = _parameters_field(req) if "parameters" in req.fields else None
    libraries = _libraries_field(app, p, req) if "libraries" in req.fields else None
    now = _touch(app, p)
    if name is not None:
        p.name = name
    if "description" in req.fields:
        p.description = str(req.fields["description"] or "")
    if files is not None:
        kept = {}
        for fname, content in files.items():
            f = p.files.get(fname) or StoredFile(app.state.new_file_id(), fname, content, now)
            if f.content != content:
                f.content, f.modified = content, now
            kept[fname] = f
        p.files = kept
    if parameters is not None:
        p.parameters = parameters
    if libraries is not None:
        p.libraries = libraries
    return {}


def _files_field(app: "App", req: Request) -> dict[str, str]:
    files: dict[str, str] = {}
    for item in req.list("files"):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise RouteError(Wording.BAD_FIELD.format(
                field="files", reason="each file needs a name and a content"))
        name = _check_name(item["name"])
        content = item.get("content")
        content = "" if content is None else content
        if not isinstance(content, str):
            raise RouteError(Wording.BAD_FIELD.format(field=f"files ({name})",
                                                      reason="content must be text"))
        _check_size(app, name, content)
        files[name] = content
    return files


def _parameters_field(req: Request) -> list[dict[str, str]]:
    raw = req.fields.get("parameters")
    if isinstance(raw, dict) and not all(k.isdigit() for k in raw):   # JSON {"key": value}
        return [{"key": str(k), "value": str(v)} for k, v in raw.items()]
    out = []
    for item in req.list("parameters"):
        if not isinstance(item, dict) or not str(item.get("key") or "").strip():
            raise RouteError(Wording.BAD_FIELD.format(
                field="parameters", reason="each parameter needs a key and a value"))
        out.append({"key": str(item["key"]), "value": str(item.get("value", ""))})
    return out


def _libraries_field(app: "App", p: Project, req: Request) -> list[int]:
    out = []
    for item in req.list("libraries"):
        try:
            lib = int(item)
        except (TypeError, ValueError):
            raise RouteError(Wording.BAD_FIELD.format(field="libraries",
                                                      reason="expected project ids")) from None
        if lib not in app.state.projects or lib == p.id:
            raise RouteError(Wording.BAD_FIELD.format(
                field="libraries", reason=f"{lib} is not another project of this organization"))
        out.append(lib)
    return out


def delete_project(app: "App", req: Request) -> dict:
    """Soft: the project moves to the Recycle Bin and stays in projects/read (Lean
    `ProjectTests.Projects_CanBeCreatedAndDeleted_Successfully`). Deleting it again from there
    removes it for good (the service's behaviour here is not known)."""
    p = find_project(app, req)
    if p.name.startswith(RECYCLE_BIN):
        del app.state.projects[p.id]
    else:
        p.name = RECYCLE_BIN + p.name
        _touch(app, p)
    return {}


def create_file(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    name = _check_name(req.str("name"))
    content = req.text("content")
    if name in p.files:
        raise RouteError(Wording.FILE_EXISTS.format(name=name))
    if content == "":   # an explicit "" is refused; no content at all makes an empty file
        raise RouteError(Wording.FILE_EMPTY.format(name=name))
    content = content or ""
    _check_write(app, p, req, name, content)
    p.files[name] = StoredFile(app.state.new_file_id(), name, content, _touch(app, p))
    return {}


def read_files(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    if req.has("name"):
        name = req.str("name")
        if name not in p.files:
            raise RouteError(Wording.FILE_NOT_FOUND.format(name=name))
        return {"files": [file_json(p, p.files[name])]}
    return {"files": [file_json(p, f) for f in sorted(p.files.values(), key=lambda f: f.name)]}


def update_file(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    name = req.str("name")
    if name not in p.files:
        raise RouteError(Wording.FILE_NOT_FOUND.format(name=name))
    if req.has("newName"):
        new_name = _check_name(req.str("newName"))
        if new_name in p.files:
            raise RouteError(Wording.FILE_EXISTS.format(name=new_name))
        _check_write(app, p, req, new_name, "")
        f = p.files.pop(name)
        f.name, f.modified = new_name, _touch(app, p)
        p.files[new_name] = f
        return {}
    content = req.text("content")
    if content is None:
        raise RouteError(Wording.MISSING_FIELD.format(field="content"))
    if content == "":
        raise RouteError(Wording.FILE_EMPTY.format(name=name))
    _check_write(app, p, req, name, content)
    f = p.files[name]
    f.content, f.modified = content, _touch(app, p)
    return {}   # the real answer carries no `files` list (mcp-server commit d15809c)


def delete_file(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    name = req.str("name")
    if name not in p.files:
        raise RouteError(Wording.FILE_NOT_FOUND.format(name=name))
    _check_write(app, p, req, name, "")
    del p.files[name]
    _touch(app, p)
    return {}


def patch_files(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    try:
        changes = apply_patch({n: f.content for n, f in p.files.items()}, req.str("patch"))
    except PatchError as e:
        raise RouteError(Wording.PATCH_FAILED.format(reason=e)) from None
    for name, content in changes.items():
        _check_name(name)
        _check_write(app, p, req, name, content or "")
    now = _touch(app, p)
    for name, content in changes.items():
        if content is None:
            p.files.pop(name, None)
        elif name in p.files:
            p.files[name].content, p.files[name].modified = content, now
        else:
            p.files[name] = StoredFile(app.state.new_file_id(), name, content, now)
    return {}


ROUTES = {
    "/projects/create": create_project,
    "/projects/read": read_projects,
    "/projects/update": update_project,
    "/projects/delete": delete_project,
    "/files/create": create_file,
    "/files/read": read_files,
    "/files/update": update_file,
    "/files/delete": delete_file,
    "/files/patch": patch_files,
}
READ_ONLY = {"/projects/read", "/files/read"}

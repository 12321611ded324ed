"""Routes for projects, files and the project lock."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Wording
from .patching import PatchError, apply_patch
from .request import Request, RouteError
from .state import Project, StoredFile, stamp
from .templates import initial_files

if TYPE_CHECKING:
    from .app import App

LEAN_VERSIONS = [{"id": 17052, "created": "2026-11-02 18:20:11", "description": "LEAN 2.5.17052",
                  "leanHash": "2b1c5e2f1c3d", "leanCloudHash": "8e4f4c1aa0b9", "name": "17052",
                  "ref": "master", "public": True}]
LOCK_SECONDS = 300


def project_json(app: "App", p: Project) -> dict[str, Any]:
    return {
        "projectId": p.id, "organizationId": p.organization_id, "name": p.name,
        "modified": stamp(p.modified), "created": stamp(p.created), "ownerId": p.owner_id,
        "language": p.language, "collaborators": [], "leanVersionId": LEAN_VERSIONS[0]["id"],
        "leanPinnedToMaster": True, "owner": True, "description": p.description,
        "channelId": "", "parameters": [], "libraries": [], "encrypted": False,
        "codeRunning": False, "leanEnvironment": 1,
    }


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


def _check_write(app: "App", p: Project, req: Request, name: str, content: str) -> None:
    holder = p.lock_holder if p.lock_until > app.now() else None
    source = req.str("codeSourceId", None)
    if holder and source != holder:
        raise RouteError(Wording.LOCKED.format(project_id=p.id, holder=holder))
    if len(content) > app.max_file_size:
        raise RouteError(Wording.FILE_TOO_LARGE.format(name=name, size=len(content),
                                                       cap=app.max_file_size))


def _touch(app: "App", p: Project) -> float:
    p.modified = app.now()
    return p.modified


def create_project(app: "App", req: Request) -> dict:
    name = req.str("name").strip()
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
    end = req.int("end", len(projects))
    return {"projects": [project_json(app, p) for p in projects[start:end]],
            "versions": LEAN_VERSIONS}


def update_project(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    if req.has("name"):
        p.name = req.str("name")
    if "description" in req.fields:
        p.description = str(req.fields["description"] or "")
    _touch(app, p)
    return {}


def delete_project(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    del app.state.projects[p.id]
    return {}


def acquire_lock(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    p.lock_holder = req.str("codeSourceId")
    p.lock_until = app.now() + LOCK_SECONDS
    return {}


def create_file(app: "App", req: Request) -> dict:
    p = find_project(app, req)
    name = _check_name(req.str("name"))
    content = req.text("content")
    if name in p.files:
        raise RouteError(Wording.FILE_EXISTS.format(name=name))
    if content == "":   # as the service: an explicit "" is refused, no content field is not
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
    if not content:     # the service refuses to empty a file
        raise RouteError(Wording.FILE_EMPTY.format(name=name))
    _check_write(app, p, req, name, content)
    f = p.files[name]
    f.content, f.modified = content, _touch(app, p)
    return {"files": [file_json(p, f)]}


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
    "/projects/collaboration/lock/acquire": acquire_lock,
    "/files/create": create_file,
    "/files/read": read_files,
    "/files/update": update_file,
    "/files/delete": delete_file,
    "/files/patch": patch_files,
}
READ_ONLY = {"/projects/read", "/files/read"}

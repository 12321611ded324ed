"""Routes for a project's collaborators and its edit lock, and the lock rule every write obeys.

The lock as QuantConnect's own clients use it: an editor takes it with `lock/acquire` and its
`codeSourceId` ("cli" for lean-cli, "MCP Server", the cloud IDE, qc-magics); while it is held, a
write that names another `codeSourceId` is refused with a "write permission" error, and a write
that names none is a forced write (`lean cloud push --force` simply leaves the field out, lean-cli
commit 6cc75311, issue #586). Writes do not take the lock themselves: only `lock/acquire` does
(how the service decides that is not documented; this is the least surprising reading).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Wording
from .request import Request, RouteError
from .state import Project

if TYPE_CHECKING:
    from .app import App

LOCK_SECONDS = 300
PROFILE_IMAGE = "https://cdn.quantconnect.com/web/i/users/profile/default.png"


def check_lock(app: "App", p: Project, req: Request) -> None:
    """Refuse a write from another editor while the project's lock is held (see the module doc)."""
    if p.lock_until <= app.now():
        return
    holder = p.lock_holder or ""
    source = req.str("codeSourceId", None)   # absent or "": a forced write
    if source is not None and source != holder:
        raise RouteError(Wording.LOCKED.format(project_id=p.id, holder=holder or "unnamed"))


def owner_json(app: "App") -> dict[str, Any]:
    user = app.state.user_id
    return {"uid": int(user) if user.isdigit() else 1, "liveControl": True, "permission": "write",
            "publicId": f"emulated-user-{user}", "profileImage": PROFILE_IMAGE,
            "email": f"user-{user}@example.com", "name": "Emulated User", "bio": "",
            "owner": True}


def collaborators_json(app: "App", p: Project) -> list[dict[str, Any]]:
    """The owner first, then everyone added (the service lists the owner too: mcp-server's
    `test_project_collaboration.py` finds two collaborators after adding one)."""
    return [owner_json(app)] + [dict(c) for c in p.collaborators]


def _find_project(app: "App", req: Request) -> Project:
    project_id = req.int("projectId")
    try:
        return app.state.projects[project_id]
    except KeyError:
        raise RouteError(Wording.PROJECT_NOT_FOUND.format(project_id=project_id)) from None


def _user_id(req: Request, field: str) -> str:
    user = req.str(field).strip()
    if not user:
        raise RouteError(Wording.BAD_FIELD.format(field=field, reason="name a user id"))
    return user


def _find_collaborator(p: Project, user: str) -> dict[str, Any]:
    for c in p.collaborators:
        if c["publicId"] == user:
            return c
    raise RouteError(f"Collaborator not found: {user} is not a collaborator on project {p.id}")


def create_collaborator(app: "App", req: Request) -> dict:
    p = _find_project(app, req)
    user = _user_id(req, "collaboratorUserId")
    if user == owner_json(app)["publicId"] or any(c["publicId"] == user for c in p.collaborators):
        raise RouteError(f"{user} is already a collaborator on project {p.id}")
    p.collaborators.append({
        "uid": 0, "liveControl": req.bool("collaborationLiveControl"),
        "permission": "write" if req.bool("collaborationWrite") else "read", "publicId": user,
        "profileImage": PROFILE_IMAGE, "email": f"{user}@example.com", "name": user, "bio": "",
        "owner": False})
    return {"collaborators": collaborators_json(app, p)}


def read_collaborators(app: "App", req: Request) -> dict:
    p = _find_project(app, req)
    return {"collaborators": collaborators_json(app, p), "userLiveControl": True,
            "userPermissions": "write"}


def update_collaborator(app: "App", req: Request) -> dict:
    p = _find_project(app, req)
    c = _find_collaborator(p, _user_id(req, "collaboratorUserId"))
    c["liveControl"] = req.bool("liveControl")
    c["permission"] = "write" if req.bool("write") else "read"
    return {"collaborators": collaborators_json(app, p)}


def delete_collaborator(app: "App", req: Request) -> dict:
    p = _find_project(app, req)
    p.collaborators.remove(_find_collaborator(p, _user_id(req, "collaboratorId")))
    return {"collaborators": collaborators_json(app, p)}


def acquire_lock(app: "App", req: Request) -> dict:
    p = _find_project(app, req)
    # mcp-server's tests acquire with codeSourceId "": the field is required but may be empty.
    if "codeSourceId" not in req.fields:
        raise RouteError(Wording.MISSING_FIELD.format(field="codeSourceId"))
    p.lock_holder = str(req.fields["codeSourceId"] or "")
    p.lock_until = app.now() + LOCK_SECONDS
    return {}


ROUTES = {
    "/projects/collaboration/create": create_collaborator,
    "/projects/collaboration/read": read_collaborators,
    "/projects/collaboration/update": update_collaborator,
    "/projects/collaboration/delete": delete_collaborator,
    "/projects/collaboration/lock/acquire": acquire_lock,
}
READ_ONLY = {"/projects/collaboration/read"}

"""Find a project by name or id, and suggest near names when there is no such thing."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping

from ..errors import NotFoundError
from .projects import DELETED_PREFIX

if TYPE_CHECKING:
    from .client import QCClient


def near(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    import difflib   # here: only a name not found needs it (a start-up cost otherwise)
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    prefix = [c for c in pool if c.lower().startswith(name.lower()) and c.lower() not in hits]
    return ([lowered[h] for h in hits] + prefix)[:n]


def find_project(client: "QCClient", ref: int | str | Mapping[str, Any]) -> dict[str, Any]:
    """The project whose id or name is `ref` (an exact name first, then a unique
    case-insensitive one). NotFoundError says which near names exist. A project already read
    (a mapping with its "projectId", as a session keeps it) is taken as it is, with no request.

    Deleted projects (the service keeps them as "Recycle Bin/<name>") are not found by name,
    unless `ref` itself starts with "Recycle Bin/".

    >>> find_project(client, "MomentumBreakout")["projectId"]
    """
    if isinstance(ref, Mapping):
        return dict(ref)
    text = str(ref).strip()
    if text.isdigit():
        return client.read_project(int(text))
    projects = client.list_projects(include_deleted=text.startswith(DELETED_PREFIX))
    exact = [p for p in projects if p["name"] == text]
    if not exact:
        exact = [p for p in projects if p["name"].lower() == text.lower()]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        ids = ", ".join(str(p["projectId"]) for p in exact)
        raise NotFoundError("/projects/read", [f"several projects are named {text!r}"],
                            f"several projects are named {text!r} (ids {ids}); use the id")
    by_name = {p["name"]: p for p in projects}
    hint = near(text, by_name)
    did_you_mean = ("; did you mean " + " or ".join(
        f"{h!r} (id {by_name[h]['projectId']})" for h in hint) + "?") if hint else ""
    raise NotFoundError("/projects/read", [f"project {text!r} not found"],
                        f"project {text!r} not found{did_you_mean}")

"""What to say when the service answers a create with an error but may have acted on it.

A 5xx (or a connection lost after sending) on a create does not mean nothing was created: an
optimization may be running behind a 502 and costing money. The api layer marks such errors
`may_have_acted`; here the face says so and names the command that lists what exists, never
"try again", which could start the same paid job twice.
"""
from __future__ import annotations

import shlex

from ..errors import QCError

# endpoint -> (what it creates, the subcommand that lists them, or None when none does)
LISTED_BY = {
    "/projects/create": ("project", "projects"),
    "/files/create": ("file", "files"),
    "/backtests/create": ("backtest", "backtests"),
    "/optimizations/create": ("optimization", "optimizations"),
    "/compile/create": ("compile", None),
}


class MayHaveActed(QCError):
    """The service answered a create with an error, yet the thing may exist."""

    may_have_acted = True


def may_have_acted(error: BaseException) -> bool:
    return bool(getattr(error, "may_have_acted", False))


def explain(error: QCError, prog: str, project: str | None) -> MayHaveActed:
    endpoint = getattr(error, "endpoint", "") or ""
    thing, listing = LISTED_BY.get(endpoint, ("request", None))
    status = getattr(error, "status", None)
    if getattr(error, "interrupted", False):
        happened = "interrupted (Ctrl-C) while the service was creating it"
    else:
        happened = f"the service answered {f'HTTP {status}' if status else 'an error'}"
    if endpoint in LISTED_BY:
        head = f"creating the {thing}: {happened}, but the {thing} may have been created anyway"
    else:
        head = f"{happened}, but what was asked may have been done anyway"
    if listing is None:
        if thing == "compile":   # compiles cost nothing and are never listed: going on is safe
            return MayHaveActed(f"{head}; compiles cost nothing, so running the command again "
                                f"is safe")
        return MayHaveActed(f"{head}; check before doing it again")
    where = "" if listing == "projects" or not project else f" --project {shlex.quote(project)}"
    return MayHaveActed(f"{head}. Check with {prog} {listing}{where} before running it again "
                        f"(a second run could create or charge twice)")

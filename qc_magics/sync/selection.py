"""Which files a command is about: the names given, checked against every name known, or all.

A name that is nowhere raises NoSuchFile naming near ones; a name the sync refuses (on either
side) is known too, so naming it is answered with the reason, not "no such file".
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping, Sequence

from ..api.lookup import near
from ..errors import InvalidArgument
from .errors import NoSuchFile, SyncError
from .names import Outside, printable


def select(names: Sequence[str] | str | None, everything: bool, known: Iterable[str], *,
           where: Callable[[], str]) -> list[str]:
    """The names to work on, in the order given (duplicates dropped), or every known name when
    `everything` (or no names) is asked for. `where()` says where a name was looked for, for the
    message ("project 'Momentum' or /home/me/momentum"); called only for that message, as it
    may cost a request."""
    if isinstance(names, str):
        names = [names]
    if names and everything:
        raise InvalidArgument("name files or ask for all of them, not both")
    known = sorted(set(known))
    if everything or names is None:
        return known
    missing = [n for n in names if n not in known]
    if missing:
        text = "; ".join(f"{printable(n)!r}" + (f" (did you mean {', '.join(map(repr, h))}?)"
                                                 if (h := near(n, known)) else "")
                         for n in missing)
        raise NoSuchFile(f"no such file in {where()}: {text}")
    return list(dict.fromkeys(names))


def refuse_named(name: str, refused: Mapping[str, Outside], side: str) -> None:
    """A one-file operation on a name the sync refuses: raise SyncError with the reason."""
    verdict = refused.get(name)
    if verdict is not None:
        raise SyncError(f"{printable(name)!r} is not synced ({side}): it "
                        f"{printable(verdict.why)}")

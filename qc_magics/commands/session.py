"""What a face adds to the workspace: its name in messages, how it asks the person, and where
its values come from (a notebook's variables) and go (DataFrames or text)."""
from __future__ import annotations

from typing import Any, Callable

from ..records import Record
from ..workspace import Refused, Settings, Workspace  # noqa: F401 (Refused, Settings: re-exported)


class Asker(Record):
    """How a face asks the person: `ask` for a visible answer, `secret` for a hidden one. Each
    returns None when there is no way to ask (no terminal, a notebook run without stdin)."""

    ask: Callable[[str], str | None]
    secret: Callable[[str], str | None]
    say: Callable[[str], None] = print

    def __init__(self, ask: Callable[[str], str | None], secret: Callable[[str], str | None],
                 say: Callable[[str], None] = print):
        self.ask, self.secret, self.say = ask, secret, say


class Session(Record):
    """One per face: the magics keep one per IPython shell, the CLI one per run."""

    prog: str                                  # "%qc" or "qc-magics": used in messages
    workspace: Workspace
    asker: Asker
    remember_project: Callable[[str], None] = lambda ref: None
    # A notebook variable by name (`--from VAR`); None where there are none (the shell).
    variable: Callable[[str], Any] | None = None
    frames: bool = True          # tables as DataFrames (notebooks); False: the shell's text
    # Subcommands only this face has (the magic's `panel`): name -> handler.
    own: dict[str, Callable]
    # Live sync (`sync --watch`): where its one-line events go, and whether the face waits
    # for it (the shell, until Ctrl-C) or lets it run in the background (a kernel).
    notify: Callable[[str], None] = print
    foreground: bool = False

    def __init__(self, prog: str, workspace: Workspace, asker: Asker,
                 remember_project: Callable[[str], None] = lambda ref: None,
                 variable: Callable[[str], Any] | None = None, frames: bool = True,
                 own: dict[str, Callable] | None = None, notify: Callable[[str], None] = print,
                 foreground: bool = False):
        self.prog, self.workspace, self.asker = prog, workspace, asker
        self.remember_project, self.variable, self.frames = remember_project, variable, frames
        self.own = {} if own is None else own
        self.notify, self.foreground = notify, foreground

    @property
    def ws(self) -> Workspace:
        return self.workspace

    @property
    def client(self) -> Any:
        return self.workspace.client

    def settings(self) -> Settings:
        return self.workspace.settings

    def reset_client(self) -> None:
        self.workspace.reconnect()

    def confirm(self, question: str, *, yes: bool, how_to_skip: str) -> None:
        """Go on only with --yes or a "y" typed at the prompt; without a prompt, refuse."""
        if yes:
            return
        answer = self.asker.ask(f"{question} [y/N] ")
        if answer is None:   # say what was to be asked: the reason is in the question
            raise Refused(f"{question.rstrip('?')}: cannot ask for confirmation here; add "
                          f"{how_to_skip} to go ahead")
        if answer.strip().lower() not in ("y", "yes"):
            raise Refused("cancelled; nothing was changed")

"""The grammar and the subcommands both faces share: `%qc` in IPython and `qc-magics` in a shell.

A face tokenizes a line, calls `parse`, then `execute`, and renders what comes back."""
from .grammar import COMMANDS, GrammarError, NAMES, overview, parse, usage
from .handlers import execute
from .session import Asker, Refused, Session, Settings

__all__ = ["COMMANDS", "NAMES", "GrammarError", "Refused", "Session", "Settings", "Asker",
           "execute", "overview", "parse", "usage"]

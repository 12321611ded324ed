"""Which file of a project is its algorithm and which its research notebook.

A new Py project holds `main.py` and `research.ipynb`; a new C# project `Main.cs` and
`Research.ipynb` (capital R). Ask the project's files first, then its language, so that no code
assumes one spelling.

>>> main_file("C#"), research_notebook("C#")
('Main.cs', 'Research.ipynb')
>>> research_notebook("Py", ["Research.ipynb", "main.py"])
'Research.ipynb'
"""
from __future__ import annotations

from typing import Iterable

MAIN_FILES = {"Py": "main.py", "C#": "Main.cs"}
RESEARCH_NOTEBOOKS = {"Py": "research.ipynb", "C#": "Research.ipynb"}


def _find(names: Iterable[str], wanted: Iterable[str]) -> str | None:
    lowered = {n.lower(): n for n in names if "/" not in n}
    return next((lowered[w.lower()] for w in wanted if w.lower() in lowered), None)


def main_file(language: str | None = None, names: Iterable[str] = ()) -> str:
    """The algorithm's file: the project's main.py / Main.cs if it has one, else its language's."""
    names = list(names)
    preferred = [MAIN_FILES.get(language or "", "main.py")] + list(MAIN_FILES.values())
    return _find(names, preferred) or MAIN_FILES.get(language or "Py", "main.py")


def research_notebook(language: str | None = None, names: Iterable[str] = ()) -> str:
    """The research notebook: research.ipynb in any case if the project has one, else its
    language's default name."""
    return (_find(names, ["research.ipynb"])
            or RESEARCH_NOTEBOOKS.get(language or "Py", "research.ipynb"))

"""The ipywidgets panel (`%qc panel`), and the controller behind it that holds its logic."""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    # The controller needs no ipywidgets; only the panel itself imports them.
    if name == "Panel":
        from .panel import Panel
        return Panel
    if name == "PanelController":
        from .controller import PanelController
        return PanelController
    raise AttributeError(name)


__all__ = ["Panel", "PanelController"]

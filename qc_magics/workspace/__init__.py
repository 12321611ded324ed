"""The workflow layer: one `Workspace` per session holds every user action; faces adapt it."""
from .account import Identity
from .base import Progress, Refused
from .settings import Settings, load_settings, save_project
from .workspace import Workspace

__all__ = ["Workspace", "Settings", "Refused", "Identity", "Progress", "load_settings",
           "save_project"]

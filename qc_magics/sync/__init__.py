"""Push and pull notebooks and project files between a local folder and a cloud project,
without ever losing work on either side. Knows the local disk and notebooks; no IPython."""
from .cloud_run import WaitTimeout, wait_for_run
from .diff import Diff, diff_texts
from .errors import NoSuchFile, SyncError
from .folder import ProjectFolder
from .outputs import CellOutputs, NotebookOutputs, read_outputs
from .parameters import inject_parameters
from .state import SyncState
from .status import STATES, FileStatus, StatusReport, SyncReport, classify

__all__ = ["ProjectFolder", "SyncError", "NoSuchFile", "SyncState", "StatusReport", "SyncReport", "FileStatus",
           "STATES", "classify", "Diff", "diff_texts", "inject_parameters", "read_outputs",
           "NotebookOutputs", "CellOutputs", "wait_for_run", "WaitTimeout"]

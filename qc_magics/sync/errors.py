"""The errors of the sync itself: local conditions, not answers of the service.

Each message is one line (the faces print it as it is); the CLI exits 1 for any QCError.
"""
from __future__ import annotations

from ..errors import QCError


class SyncError(QCError):
    """A push, pull or file operation that was refused as a whole, before anything was written or
    sent."""


class NoSuchFile(SyncError):
    """A named file is neither in the cloud project nor in the local folder (nor in the last
    sync): nothing was read, written or sent."""

"""The IPython face: `%load_ext qc_magics` registers `%qc` and `%%qc`."""
from __future__ import annotations

from typing import Any


def load_ipython_extension(ip: Any) -> None:
    from .qc import QCMagics

    magics = QCMagics(shell=ip, config=ip.config)
    ip.register_magics(magics)
    # So `%config QCMagics` lists and sets its traits, like any configurable of the shell.
    if magics not in ip.configurables:
        ip.configurables.append(magics)


def unload_ipython_extension(ip: Any) -> None:
    manager = ip.magics_manager
    for kind in ("line", "cell"):
        manager.magics[kind].pop("qc", None)
    manager.registry.pop("QCMagics", None)
    ip.configurables[:] = [c for c in ip.configurables if type(c).__name__ != "QCMagics"]

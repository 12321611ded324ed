"""A bug keeps its traceback: only an invalid notebook is reported as one.

The push once caught every exception around the notebook check and reported it as "not a valid
notebook", so a programming error looked like the user's bad file. Now InvalidNotebook (and the
sync's other one-line refusals) are reported; anything else propagates, and nothing is sent.
"""
from __future__ import annotations

import nbformat
import pytest

import qc_magics.sync.notebook_check as notebook_check
import qc_magics.sync.push as push
import qc_magics.sync.sides as sides
from conftest import make_client
from qc_magics.sync import ProjectFolder


@pytest.fixture
def world(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Bugs")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    nb = nbformat.read(tmp_path / "research.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("edited = 1"))
    nbformat.write(nb, tmp_path / "research.ipynb")
    yield client, pid, folder
    client.close()


@pytest.mark.parametrize("module, helper", [(push, "outgoing_notebook"),
                                            (notebook_check, "_cell"),
                                            (notebook_check, "check_notebook")])
@pytest.mark.parametrize("exc", [TypeError, ValueError, KeyError])
def test_a_bug_in_the_notebook_check_propagates_and_nothing_is_sent(world, emu, monkeypatch,
                                                                   module, helper, exc):
    client, pid, folder = world
    before = emu.cloud_files(pid)["research.ipynb"]

    def a_bug(*args, **kwargs):
        raise exc("a bug in a helper")
    monkeypatch.setattr(module, helper, a_bug)
    emu.clear_log()
    with pytest.raises(exc, match="a bug in a helper") as e:
        folder.push(["research.ipynb"])
    assert "not a valid notebook" not in str(e.value)
    assert e.value.__traceback__ is not None
    assert not [r for r in emu.requests if r["endpoint"] != "/files/read"]
    assert emu.cloud_files(pid)["research.ipynb"] == before
    with pytest.raises(exc, match="a bug in a helper"):
        folder.write("research.ipynb", (folder.root / "research.ipynb").read_text())


def test_a_bug_in_pull_propagates_instead_of_a_failed_line(world, emu, monkeypatch):
    client, pid, folder = world
    emu.cloud_write(pid, "main.py", "changed in the cloud = 1\n")
    monkeypatch.setattr("qc_magics.sync.pull.side", lambda *a: (_ for _ in ()).throw(
        ValueError("a bug in a helper")))
    with pytest.raises(ValueError, match="a bug in a helper"):
        folder.pull(["main.py"])


def test_an_invalid_notebook_is_still_one_line_for_that_file(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "research.ipynb").write_text('{"cells": 3}')
    with pytest.raises(Exception, match="research.ipynb is not a valid notebook") as e:
        folder.push(["research.ipynb"])
    assert type(e.value).__name__ == "SyncError"
    assert sides.side("x.ipynb", "{").invalid.startswith("x.ipynb is not a valid notebook")

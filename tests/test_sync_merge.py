"""Three-way merge (issue #14): notebooks cell by cell, text line by line, and pull and push
merging a file both sides changed when the changes do not overlap, never silently."""
from __future__ import annotations

import copy
import json

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import make_client
from qc_magics.sync import ProjectFolder
from qc_magics.sync.cell_match import match_cells, source
from qc_magics.sync.merge import merge_file, numbers
from qc_magics.sync.merge_notebook import merge_notebooks
from qc_magics.sync.merge_text import merge_text


# --- notebooks, as the merge function sees them ----------------------------------------------

def cell(src: str, cid: str | None = None, kind: str = "code", **extra) -> dict:
    c = {"cell_type": kind, "metadata": {}, "source": src}
    if cid is not None:
        c["id"] = cid
    if kind == "code":
        c.update(outputs=[], execution_count=None)
    c.update(extra)
    return c


def nb(*cells: dict, minor: int = 5, **metadata) -> dict:
    return {"nbformat": 4, "nbformat_minor": minor, "metadata": dict(metadata),
            "cells": [copy.deepcopy(c) for c in cells]}


def text(notebook: dict) -> str:
    return json.dumps(notebook, indent=1)


def ran(c: dict, out: str, count: int = 1) -> dict:
    c = copy.deepcopy(c)
    c["outputs"] = [{"output_type": "stream", "name": "stdout", "text": out}]
    c["execution_count"] = count
    return c


def edited(c: dict, src: str) -> dict:
    return dict(copy.deepcopy(c), source=src)


def tagged(c: dict, *tags: str) -> dict:
    c = copy.deepcopy(c)
    c["metadata"]["tags"] = list(tags)
    return c


A, B, C = cell("a = 1", "ca"), cell("b = 2", "cb"), cell("c = 3", "cc")
M = cell("# Title", "cm", kind="markdown")
NEW_L, NEW_C = cell("mine = 1", "nl"), cell("theirs = 1", "nc")
BASE = nb(A, B, C)
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3"}}

# name: (local, cloud, expected sources in order, or None for a clash; words in the report)
CASES = {
    "edits of different cells": (
        nb(edited(A, "a = 10"), B, C), nb(A, B, edited(C, "c = 30")),
        ["a = 10", "b = 2", "c = 30"], ["cell 2 from the cloud", "cell 0 from local"]),
    "the same cell edited differently": (
        nb(A, edited(B, "b = 20"), C), nb(A, edited(B, "b = 21"), C), None,
        ["local cell 1 (b = 20)", "source"]),
    "the same edit on both sides": (
        nb(A, edited(B, "b = 20"), edited(C, "c = 30")), nb(A, edited(B, "b = 20"), C),
        ["a = 1", "b = 20", "c = 30"], ["cell 2 from local"]),
    "edited here, deleted in the cloud": (
        nb(A, edited(B, "b = 20"), C), nb(A, C), None, ["edited here, deleted in the cloud"]),
    "deleted here, edited in the cloud": (
        nb(A, C), nb(A, edited(B, "b = 21"), C), None,
        ["cloud cell 1 (b = 21): edited in the cloud, deleted here"]),
    "deleted in the cloud, unchanged here": (
        nb(edited(A, "a = 10"), B, C), nb(A, C), ["a = 10", "c = 3"],
        ["1 cell removed in the cloud"]),
    "deleted here, only re-run in the cloud": (
        nb(A, edited(C, "c = 30")), nb(ran(A, "1"), ran(B, "2"), ran(C, "3")),
        ["a = 1", "c = 30"], ["1 cell removed here"]),
    "added at the same place, the same cell": (
        nb(A, B, C, cell("d = 4", "x1"), cell("e = 5", "e1")), nb(A, B, C, cell("d = 4", "x2")),
        ["a = 1", "b = 2", "c = 3", "d = 4", "e = 5"], ["cell 4 from local"]),
    "added at the same place, different cells: both, local first": (
        nb(A, B, C, NEW_L), nb(A, B, C, NEW_C), ["a = 1", "b = 2", "c = 3", "mine = 1",
                                                 "theirs = 1"],
        ["cell 4 from the cloud", "cell 3 from local"]),
    "added in different places": (
        nb(NEW_L, A, B, C), nb(A, B, NEW_C, C), ["mine = 1", "a = 1", "b = 2", "theirs = 1",
                                                 "c = 3"],
        ["cell 3 from the cloud", "cell 0 from local"]),
    "moved here, edited in the cloud": (
        nb(C, A, B), nb(A, edited(B, "b = 21"), C), ["c = 3", "a = 1", "b = 21"],
        ["cell order from local", "cell 2 from the cloud"]),
    "moved in the cloud, added here": (
        nb(A, NEW_L, B, C), nb(B, A, C), ["b = 2", "a = 1", "mine = 1", "c = 3"],
        ["cell order from the cloud", "cell 2 from local"]),
    "moved on both sides, differently": (
        nb(C, A, B), nb(B, A, C), None, ["both sides moved cells"]),
    "moved on both sides, the same way": (
        nb(C, A, B, NEW_L), nb(C, A, B), ["c = 3", "a = 1", "b = 2", "mine = 1"],
        ["cell 3 from local"]),
    "a tag here, an edit in the cloud": (
        nb(tagged(A, "parameters"), B, C), nb(A, edited(B, "b = 21"), C),
        ["a = 1", "b = 21", "c = 3"], ["cell 1 from the cloud", "cell 0 from local"]),
    "the same cell's tags changed differently": (
        nb(tagged(A, "mine"), B, C), nb(tagged(A, "theirs"), B, C), None, ["tags"]),
    "tags of different cells": (
        nb(tagged(A, "mine"), B, C), nb(A, tagged(B, "theirs"), C), ["a = 1", "b = 2", "c = 3"],
        ["cell 1 from the cloud", "cell 0 from local"]),
    "different cell metadata keys of one cell": (
        nb(tagged(A, "mine"), edited(B, "b = 20"), C),
        nb(dict(copy.deepcopy(A), metadata={"name": "setup"}), B, C),
        ["a = 1", "b = 20", "c = 3"], ["cell 0 from the cloud", "cells 0-1 from local"]),
    "notebook metadata: different keys": (
        dict(nb(edited(A, "a = 10"), B, C), metadata=KERNEL),
        dict(nb(A, B, C), metadata={"title": "Study"}), ["a = 10", "b = 2", "c = 3"],
        ["notebook metadata title from the cloud", "notebook metadata kernelspec from local"]),
    "notebook metadata: the same key changed differently": (
        dict(nb(A, B, C), metadata=KERNEL),
        dict(nb(A, B, edited(C, "c = 30")), metadata={"kernelspec": {"name": "qc",
                                                                     "display_name": "QC"}}),
        None, ["notebook metadata 'kernelspec' changed on both sides"]),
    "a cloud Run All and a local edit": (
        nb(A, edited(B, "b = 20"), C), nb(ran(A, "1\n"), ran(B, "2\n"), ran(C, "3\n")),
        ["a = 1", "b = 20", "c = 3"], ["cell 1 from local", "outputs of cells 0-2 from the cloud"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_notebook_merge_table(name):
    local, cloud, expected, words = CASES[name]
    m = merge_notebooks(text(BASE), text(local), text(cloud))
    report = merge_file("r.ipynb", text(BASE), text(local), text(cloud))
    said = report.taken if expected is not None else "; ".join(report.clashes)
    for word in words:
        assert word in said, (name, said)
    if expected is None:
        assert m.text is None and m.clashes and report.text is None
        return
    assert not m.clashes, m.clashes
    merged = nbformat.reads(m.text, as_version=4)
    nbformat.validate(merged)
    assert [c.source for c in merged.cells] == expected
    ids = [c.id for c in merged.cells]
    assert len(set(ids)) == len(ids)


def test_outputs_follow_the_side_that_ran_the_cell():
    local = nb(ran(edited(A, "a = 10"), "local\n"), ran(B, "local b\n"), C)
    cloud = nb(ran(A, "cloud\n", 7), B, edited(C, "c = 30"))
    merged = json.loads(merge_notebooks(text(BASE), text(local), text(cloud)).text)
    a, b, c = merged["cells"]
    assert a["source"] == "a = 10" and a["outputs"][0]["text"] == "cloud\n" and \
        a["execution_count"] == 7            # the cloud ran it since the base: its outputs
    assert b["outputs"][0]["text"] == "local b\n"    # only run here: the local outputs
    assert c["source"] == "c = 30" and c["outputs"] == []


def test_run_metadata_goes_with_the_outputs_and_view_state_never_clashes():
    timed = {"execution": {"iopub.status.busy": "2026-11-21T10:00:00Z"}}
    local = nb(dict(ran(A, "l\n"), metadata={"collapsed": True, "execution": {"x": "1"}}), B,
               edited(C, "c = 30"))
    cloud = nb(dict(ran(A, "c\n"), metadata={"collapsed": False, **timed}), B, C)
    merged = json.loads(merge_notebooks(text(BASE), text(local), text(cloud)).text)
    assert merged["cells"][0]["metadata"] == {"collapsed": True, **timed}


def test_cells_without_ids_are_aligned_by_source():
    """nbformat 4.4: no ids. Edits, a deletion and additions are told apart by alignment."""
    base = nb(cell("a = 1"), cell("b = 2"), cell("# notes", kind="markdown"), cell("c = 3"),
              minor=4)
    local = nb(cell("a = 1"), cell("b = 20"), cell("# notes", kind="markdown"), cell("c = 3"),
               cell("mine = 1"), minor=4)
    cloud = nb(cell("a = 1"), cell("# notes", kind="markdown"), cell("c = 30"), minor=4)
    assert match_cells(base["cells"], local["cells"]) == [0, 1, 2, 3, None]
    assert match_cells(base["cells"], cloud["cells"]) == [0, 2, 3]
    # b was edited here and removed in the cloud: a clash, found without any id
    m = merge_notebooks(text(base), text(local), text(cloud))
    assert m.text is None and "edited here, deleted in the cloud" in m.clashes[0]
    cloud = nb(cell("a = 1"), cell("b = 2"), cell("# notes", kind="markdown"), cell("c = 30"),
               minor=4)
    m = merge_notebooks(text(base), text(local), text(cloud))
    merged = json.loads(m.text)
    assert [c["source"] for c in merged["cells"]] == ["a = 1", "b = 20", "# notes", "c = 30",
                                                      "mine = 1"]
    assert merged["nbformat_minor"] == 4 and not any("id" in c for c in merged["cells"])


def test_ids_win_over_sources_and_a_4_4_side_gets_ids_in_a_4_5_merge():
    base = nb(A, B)
    local = nb(cell("a = 1"), cell("b = 2"), cell("mine = 1"), minor=4)   # saved by old Jupyter
    cloud = nb(edited(A, "a = 10"), B)
    m = merge_notebooks(text(base), text(local), text(cloud))
    merged = json.loads(m.text)
    assert [c["source"] for c in merged["cells"]] == ["a = 10", "b = 2", "mine = 1"]
    assert merged["nbformat_minor"] == 5 and [c["id"] for c in merged["cells"]][:2] == ["ca", "cb"]
    # an id the same on all three versions matches even when the source changed completely
    assert match_cells([A, B], [edited(B, "x"), edited(A, "y")]) == [1, 0]


def test_a_merge_is_deterministic():
    args = (text(BASE), text(nb(A, NEW_L, B, C)), text(nb(A, B, NEW_C, C)))
    assert merge_notebooks(*args).text == merge_notebooks(*args).text


# --- text -------------------------------------------------------------------------------------

T = "import x\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"


@pytest.mark.parametrize("local, cloud, expected, words", [
    (T.replace("return 1", "return 10"), T.replace("return 2", "return 20"),
     T.replace("return 1", "return 10").replace("return 2", "return 20"),
     "line 8 from the cloud; line 4 from local"),
    ("# head\n" + T, T + "# tail\n", "# head\n" + T + "# tail\n",
     "line 10 from the cloud; line 1 from local"),
    (T.replace("return 1", "return 10"), T.replace("return 1", "return 10"),
     T.replace("return 1", "return 10"), ""),
    (T.replace("    return 1\n", ""), T.replace("return 2", "return 20"),
     T.replace("    return 1\n", "").replace("return 2", "return 20"), "lines removed"),
    (T.replace("return 1", "return 10"), T.replace("return 1", "return 11"), None,
     "line 4 changed on both sides"),
    (T + "a = 1\n", T + "b = 1\n", None, "both sides added different lines before line 9"),
    (T.replace("return 1", "return 10"), T.replace("def f", "def h"), None,
     "lines 3-4 changed on both sides"),     # adjacent lines: a clash, as in git
])
def test_text_merge_table(local, cloud, expected, words):
    m = merge_file("algo.py", T, local, cloud)
    assert m.text == expected
    assert words in (m.taken if expected is not None else "; ".join(m.clashes))


def test_text_merge_keeps_windows_line_endings_of_the_local_file():
    local = T.replace("return 1", "return 10").replace("\n", "\r\n")
    m = merge_text(T, local, T.replace("return 2", "return 20"))
    assert m.text == T.replace("return 1", "return 10").replace("return 2", "return 20") \
        .replace("\n", "\r\n")


def test_numbers_read_as_ranges():
    assert numbers([3]) == "cell 3" and numbers([0, 1, 2, 5, 7, 8]) == "cells 0-2, 5, 7-8"


# --- end to end, against the emulator ---------------------------------------------------------

def nb_text(*sources: str) -> str:
    notebook = nbformat.v4.new_notebook(metadata=KERNEL)
    notebook.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nbformat.writes(notebook)


def sources(text_: str) -> list[str]:
    return [c.source for c in nbformat.reads(text_, as_version=4).cells]


def edit_cloud(emu, pid, name, change) -> None:
    notebook = nbformat.reads(emu.cloud_files(pid)[name], as_version=4)
    change(notebook)
    emu.cloud_write(pid, name, nbformat.writes(notebook))


def edit_local(path, change) -> None:
    notebook = nbformat.read(path, as_version=4)
    change(notebook)
    nbformat.write(notebook, path)


@pytest.fixture
def synced(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Merge")["projectId"]
    emu.cloud_write(pid, "study.ipynb", nb_text("x = 1", "y = 2", "z = 3"))
    emu.cloud_write(pid, "algo.py", T)
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    yield folder, pid, tmp_path
    client.close()


def backups(root, name) -> list[str]:
    return [p.read_text() for p in (root / ".qc-sync" / "backups").rglob(name)]


def test_pull_merges_a_cloud_cell_edit_with_a_local_one_and_push_sends_it(synced, emu):
    folder, pid, root = synced
    path = root / "study.ipynb"
    edit_cloud(emu, pid, "study.ipynb", lambda n: setattr(n.cells[2], "source", "z = 30"))
    edit_local(path, lambda n: setattr(n.cells[0], "source", "x = 10"))
    before = path.read_text()
    assert folder.status().states()["study.ipynb"] == "conflict"
    report = folder.pull(all=True)
    action = {a.name: a for a in report.actions}["study.ipynb"]
    assert action.action == "merged"
    assert "cell 2 from the cloud" in action.detail and "cell 0 from local" in action.detail
    assert "backed up" in action.detail and "study.ipynb" in report.changed
    assert "merged study.ipynb" in report.summary()
    assert "merged" in str(report) and "cell 2 from the cloud" in str(report)
    assert sources(path.read_text()) == ["x = 10", "y = 2", "z = 30"]
    assert not (root / "study.cloud.ipynb").exists()
    assert before in backups(root, "study.ipynb")
    # the base is the cloud version: the merge is a local change, which diff --base shows
    assert folder.status().states()["study.ipynb"] == "local-changed"
    d = folder.diff("study.ipynb", against="base")
    assert [c.kind for c in d.cells] == ["changed"] and "+x = 10" in str(d)
    assert "z = 30" not in "\n".join(line for c in d.cells for line in c.lines)
    pushed = folder.push(all=True)
    assert pushed.changed == ["study.ipynb"]
    assert sources(emu.cloud_files(pid)["study.ipynb"]) == ["x = 10", "y = 2", "z = 30"]
    assert set(folder.status().states().values()) == {"in-sync"}


def test_pull_merges_text_files_and_keeps_a_conflict_copy_for_overlaps(synced, emu):
    folder, pid, root = synced
    path = root / "algo.py"
    path.write_text(T.replace("return 1", "return 10"))
    emu.cloud_write(pid, "algo.py", T.replace("return 2", "return 20"))
    action = {a.name: a for a in folder.pull(all=True).actions}["algo.py"]
    assert action.action == "merged" and "line 8 from the cloud; line 4 from local" in \
        action.detail
    assert path.read_text() == T.replace("return 1", "return 10").replace("return 2", "return 20")
    assert folder.status().states()["algo.py"] == "local-changed"
    folder.push(all=True)
    # now both sides change the same line: the conflict copy, as before, naming the clash
    path.write_text(path.read_text().replace("return 10", "return 11"))
    emu.cloud_write(pid, "algo.py", emu.cloud_files(pid)["algo.py"].replace("return 10",
                                                                            "return 12"))
    action = {a.name: a for a in folder.pull(all=True).actions}["algo.py"]
    assert action.action == "conflict-copy" and "line 4 changed on both sides" in action.detail
    assert "return 11" in path.read_text()
    assert "return 12" in (root / "algo.cloud.py").read_text()


def test_a_clash_in_a_notebook_keeps_the_conflict_copy_and_names_the_cell(synced, emu):
    folder, pid, root = synced
    path = root / "study.ipynb"
    edit_cloud(emu, pid, "study.ipynb", lambda n: setattr(n.cells[1], "source", "y = 'cloud'"))
    edit_local(path, lambda n: setattr(n.cells[1], "source", "y = 'local'"))
    report = folder.pull(all=True)
    action = {a.name: a for a in report.actions}["study.ipynb"]
    assert action.action == "conflict-copy"
    assert "local cell 1 (y = 'local'): source changed on both sides" in action.detail
    assert sources(path.read_text())[1] == "y = 'local'"
    assert sources((root / "study.cloud.ipynb").read_text())[1] == "y = 'cloud'"
    refused = folder.push(all=True)
    action = {a.name: a for a in refused.actions}["study.ipynb"]
    assert action.action == "refused" and "source changed on both sides" in action.detail


def test_a_push_of_several_files_merges_one_and_checks_it_landed(synced, emu):
    folder, pid, root = synced
    (root / "algo.py").write_text(T.replace("return 1", "return 10"))
    emu.cloud_write(pid, "algo.py", T.replace("return 2", "return 20"))
    (root / "extra.py").write_text("extra = 1\n")
    report = folder.push(all=True)
    actions = {a.name: a for a in report.actions}
    assert actions["algo.py"].action == "merged" and actions["extra.py"].action == "created"
    assert "right after" not in actions["algo.py"].detail      # read back: it holds the merge
    merged = T.replace("return 1", "return 10").replace("return 2", "return 20")
    assert emu.cloud_files(pid)["algo.py"] == merged == (root / "algo.py").read_text()
    assert set(folder.status().states().values()) == {"in-sync"}


def test_push_of_a_file_both_sides_changed_merges_first_in_one_call(synced, emu):
    folder, pid, root = synced
    path = root / "study.ipynb"
    edit_cloud(emu, pid, "study.ipynb", lambda n: n.cells.insert(0, nbformat.v4.new_code_cell(
        "import numpy as np")))
    edit_local(path, lambda n: setattr(n.cells[2], "source", "z = 'local'"))
    before = path.read_text()
    report = folder.push(["study.ipynb"])
    action = report.actions[0]
    assert action.action == "merged" and "merged first" in action.detail
    assert "cell 0 from the cloud" in action.detail and "backed up" in action.detail
    expected = ["import numpy as np", "x = 1", "y = 2", "z = 'local'"]
    assert sources(emu.cloud_files(pid)["study.ipynb"]) == expected
    assert sources(path.read_text()) == expected
    assert before in backups(root, "study.ipynb")
    assert set(folder.status().states().values()) == {"in-sync"}


def test_a_dry_run_pull_or_push_says_merged_and_changes_nothing(synced, emu):
    folder, pid, root = synced
    path = root / "algo.py"
    path.write_text(T.replace("return 1", "return 10"))
    emu.cloud_write(pid, "algo.py", T.replace("return 2", "return 20"))
    for report in (folder.pull(all=True, dry_run=True), folder.push(all=True, dry_run=True)):
        assert {a.name: a.action for a in report.actions}["algo.py"] == "merged"
    assert path.read_text() == T.replace("return 1", "return 10")
    assert emu.cloud_files(pid)["algo.py"] == T.replace("return 2", "return 20")
    assert folder.status().states()["algo.py"] == "conflict"
    assert not (root / ".qc-sync" / "backups").exists()


def test_without_a_base_copy_there_is_no_merge_and_both_are_kept(synced, emu):
    folder, pid, root = synced
    (root / ".qc-sync" / "base" / "algo.py").unlink()
    (root / "algo.py").write_text(T.replace("return 1", "return 10"))
    emu.cloud_write(pid, "algo.py", T.replace("return 2", "return 20"))
    action = {a.name: a for a in folder.pull(all=True).actions}["algo.py"]
    assert action.action == "conflict-copy"
    assert (root / "algo.cloud.py").read_text() == T.replace("return 2", "return 20")


def test_a_cloud_run_all_and_a_local_edit_merge_with_the_cloud_outputs(synced, emu):
    """Someone presses Run All in the cloud while a cell is edited here: the edit stays, the
    other cells get the cloud's outputs, and the edited cell keeps the outputs of its old
    source (the cloud ran it last), until it is run again."""
    folder, pid, root = synced
    path = root / "study.ipynb"
    emu.cloud_write(pid, "study.ipynb", nb_text("x = 1\nprint(x)", "y = 2\nprint(y)"))
    folder.pull(["study.ipynb"])
    emu.run_notebook(pid, "study.ipynb")
    edit_local(path, lambda n: setattr(n.cells[1], "source", "y = 20\nprint(y)"))
    action = folder.pull(["study.ipynb"]).actions[0]
    assert action.action == "merged" and "cell 1 from local" in action.detail
    assert "outputs of cells 0-1 from the cloud's run" in action.detail
    cells = nbformat.read(path, as_version=4).cells
    assert [c.source for c in cells] == ["x = 1\nprint(x)", "y = 20\nprint(y)"]
    assert cells[0].outputs[0]["text"] == "1\n" and cells[1].outputs[0]["text"] == "2\n"
    assert folder.status().states()["study.ipynb"] == "local-changed"


def test_write_is_the_content_given_and_never_merges(synced, emu):
    """`write NAME` says what the file is to hold: a cloud edit since the base is refused, not
    merged into it (push merges; write does not)."""
    folder, pid, root = synced
    emu.cloud_write(pid, "algo.py", T.replace("return 2", "return 20"))
    report = folder.write("algo.py", T.replace("return 1", "return 10"))
    assert [a.action for a in report.actions] == ["refused"]
    assert emu.cloud_files(pid)["algo.py"] == T.replace("return 2", "return 20")
    assert (root / "algo.py").read_text() == T


# --- property: a clean merge keeps every change of both sides -----------------------------------

OPS = st.sampled_from(["keep", "keep", "edit", "delete", "rerun"])


@st.composite
def histories(draw):
    n = draw(st.integers(0, 6))
    ids = draw(st.booleans())
    base = [cell(f"base_{i}", f"b{i}" if ids else None) for i in range(n)]
    sides = {}
    for side in ("local", "cloud"):
        ops = draw(st.lists(OPS, min_size=n, max_size=n))
        adds = draw(st.lists(st.integers(0, n), max_size=3))
        cells: list[dict] = []
        for i, op in enumerate(ops):
            cells += [cell(f"{side}_added_{i}_{j}", f"{side[0]}{i}x{j}" if ids else None)
                      for j, at in enumerate(adds) if at == i]
            if op == "edit":
                cells.append(edited(base[i], f"{side}_edit_{i}"))
            elif op == "rerun":
                cells.append(ran(base[i], side))
            elif op == "keep":
                cells.append(copy.deepcopy(base[i]))
        cells += [cell(f"{side}_added_{n}_{j}", f"{side[0]}{n}x{j}" if ids else None)
                  for j, at in enumerate(adds) if at == n]
        sides[side] = (ops, cells)
    mover = draw(st.sampled_from([None, "local", "cloud"])) if ids else None
    if mover:   # one side moves cells (only ids can show a move)
        ops, cells = sides[mover]
        sides[mover] = (ops, draw(st.permutations(cells)))
    return ids, base, sides, mover


@settings(max_examples=300, deadline=None)
@given(histories())
def test_a_clean_merge_keeps_every_change_of_both_sides(history):
    ids, base, sides, mover = history
    (lops, lcells), (cops, ccells) = sides["local"], sides["cloud"]
    minor = 5 if ids else 4
    m = merge_notebooks(text(nb(*base, minor=minor)), text(nb(*lcells, minor=minor)),
                        text(nb(*ccells, minor=minor)))
    clash = any(a != b and "edit" in (a, b) and "keep" not in (a, b) and "rerun" not in (a, b)
                or (a == b == "edit") for a, b in zip(lops, cops))
    if ids:   # ids say exactly which cell is which: a clash exactly where both touched one
        assert (m.text is None) == clash, (lops, cops, m.clashes)
    if m.text is None:
        assert m.clashes
        return
    merged = [source(c) for c in json.loads(m.text)["cells"]]
    written = {source(c) for c in lcells + ccells if not source(c).startswith("base_")}
    assert written <= set(merged)
    for i, (a, b) in enumerate(zip(lops, cops)):
        if "delete" in (a, b):
            assert f"base_{i}" not in merged
        elif "edit" not in (a, b):
            assert f"base_{i}" in merged
    kept = [s for s in merged if s.startswith("base_")]
    order = [source(c) for c in sides[mover][1]] if mover else sorted(
        kept, key=lambda s: int(s.split("_")[1]))   # no move: the base order
    assert kept == [s for s in order if s in kept]
    assert len(merged) == len(set(merged))


class Boom(BaseException):
    """A crash: not an Exception, so nothing on the way catches it."""


@pytest.mark.parametrize("name", ["study.ipynb", "algo.py"])
def test_a_pull_merge_killed_before_the_base_is_recorded_merges_to_the_same_end(
        synced, emu, monkeypatch, name):
    """The merge is written, then the crash: the next pull finds the cloud's changes already in
    the local file (the same change on both sides) and ends where one pull would have."""
    from qc_magics.sync.state import SyncState
    folder, pid, root = synced
    path = root / name
    if name.endswith(".ipynb"):
        edit_cloud(emu, pid, name, lambda n: n.cells.append(nbformat.v4.new_code_cell("c = 1")))
        edit_local(path, lambda n: n.cells.append(nbformat.v4.new_code_cell("l = 1")))
    else:
        path.write_text(T.replace("return 1", "return 10"))
        emu.cloud_write(pid, name, T.replace("return 2", "return 20"))
    real = SyncState.record

    def crash(self, file, text_):
        if file == name:
            raise Boom()
        return real(self, file, text_)

    monkeypatch.setattr(SyncState, "record", crash)
    with pytest.raises(Boom):
        folder.pull([name])
    after_crash = path.read_text()
    monkeypatch.setattr(SyncState, "record", real)
    action = folder.pull([name]).actions[0]
    assert action.action == "merged" and path.read_text() == after_crash
    if name.endswith(".ipynb"):
        assert sources(after_crash) == ["x = 1", "y = 2", "z = 3", "l = 1", "c = 1"]
    else:
        assert after_crash == T.replace("return 1", "return 10").replace("return 2", "return 20")
    assert folder.status().states()[name] == "local-changed"


def test_a_merge_over_the_size_cap_is_refused_and_changes_nothing(synced, emu):
    folder, pid, root = synced
    local = T.replace("return 1", "return 10")
    (root / "algo.py").write_text(local)
    emu.cloud_write(pid, "algo.py", T + "# cloud\n" * 50)
    folder.size_cap = len(local) + 10     # the local file fits; the merge does not
    action = folder.push(["algo.py"]).actions[0]
    assert action.action == "refused" and "the merge cannot be sent" in action.detail
    assert (root / "algo.py").read_text() == local
    assert emu.cloud_files(pid)["algo.py"] == T + "# cloud\n" * 50


def test_a_save_during_a_push_merge_is_never_replaced_by_the_merge(emu, tmp_path, monkeypatch):
    """The person saves again while a push merges: the newer save stays on disk, nothing is sent
    for the file, and the next push takes it (no save hidden in the backups)."""
    import qc_magics.sync.push as push
    client = make_client(emu)
    pid = client.create_project("Save during push")["projectId"]
    base = [f"line_{i} = {i}\n" for i in range(12)]
    emu.cloud_write(pid, "a.py", "".join(base))
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    path = tmp_path / "a.py"
    path.write_text("".join(["local = 1\n"] + base[1:]))
    emu.cloud_write(pid, "a.py", "".join(base[:-1] + ["cloud = 1\n"]))
    real = push.plan_one

    def plan_then_save(*args, **kwargs):
        planned = real(*args, **kwargs)
        path.write_text("".join(["local = 2\n"] + base[1:]))   # a save right after the read
        return planned
    monkeypatch.setattr(push, "plan_one", plan_then_save)
    report = folder.push(["a.py"])
    assert [a.action for a in report.actions] == ["failed"]
    assert "changed here while it was being pushed" in report.actions[0].detail
    assert path.read_text().startswith("local = 2\n")
    assert emu.cloud_files(pid)["a.py"].endswith("cloud = 1\n")    # nothing sent
    monkeypatch.setattr(push, "plan_one", real)
    report = folder.push(["a.py"])
    assert [a.action for a in report.actions] == ["merged"]
    assert emu.cloud_files(pid)["a.py"] == path.read_text()
    assert path.read_text().startswith("local = 2\n") and path.read_text().endswith("cloud = 1\n")


@pytest.mark.parametrize("typed_side", ["local", "cloud"])
def test_a_cell_type_change_against_a_source_edit_is_a_clash(typed_side):
    from qc_magics.sync.cell_merge import merge_cell
    base = {"id": "c1", "cell_type": "code", "source": "x = 1", "metadata": {},
            "outputs": [], "execution_count": None}
    retyped = {**base, "cell_type": "markdown"}
    edited = {**base, "source": "x = 2"}
    local, cloud = (retyped, edited) if typed_side == "local" else (edited, retyped)
    assert merge_cell(base, local, cloud).clashes == [
        "cell type changed on one side, source on the other"]


@pytest.mark.parametrize("odd", ["\r", "\x0c", "\u2028", "\x0b"])
def test_a_text_merge_never_breaks_a_line_at_a_lone_cr_or_form_feed(odd):
    from qc_magics.sync.merge_text import merge_text
    base = f"a\n1\nx{odd}y\n3\nb\n"
    merged = merge_text(base, base.replace("a\n", "A\n"), base.replace("b\n", "B\n"))
    assert merged.text == f"A\n1\nx{odd}y\n3\nB\n"


def test_one_crlf_line_does_not_turn_a_whole_merge_into_crlf():
    from qc_magics.sync.merge_text import merge_text
    base = "a\n1\n2\r\n3\nb\n"
    merged = merge_text(base, base.replace("a\n", "A\n"), base.replace("b\n", "B\n"))
    assert merged.text == "A\n1\n2\n3\nB\n"

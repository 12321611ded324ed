"""Status, pull and push over every (local, base, cloud) combination, against the emulator.

Each row names what the local file, the base (last synced version) and the cloud copy hold:
"B" the base content, "L" a local edit, "C" a cloud edit, "-" nothing. The row says the state
`status` must report, what the local folder holds after a pull (and whether a conflict copy was
written), and what the cloud holds after a push (and whether the push refused; None: the local
file is what was last synced, so the push has nothing to send, makes no request and reports it
`unchanged`: a cloud change is left alone either way, and status and pull report it).
"""
from __future__ import annotations

import json

import nbformat
import pytest

from conftest import make_client
from qc_magics.sync import ProjectFolder

TEXT = {"B": "value = 'base'\n", "L": "value = 'local'\n", "C": "value = 'cloud'\n"}

#        local base cloud  state               after pull (local, conflict copy)   after push (cloud, refused)
ROWS = [
    ("B", "B", "B", "in-sync",          ("B", None), ("B", False)),
    ("L", "B", "B", "local-changed",    ("L", None), ("L", False)),
    ("B", "B", "C", "cloud-changed",    ("C", None), ("C", None)),
    ("L", "B", "C", "conflict",         ("L", "C"),  ("C", True)),
    ("L", "B", "L", "in-sync",          ("L", None), ("L", False)),
    ("-", "B", "B", "deleted-locally",  ("-", None), ("B", False)),
    ("-", "B", "C", "deleted-locally",  ("C", None), ("C", False)),
    ("B", "B", "-", "deleted-in-cloud", ("B", None), ("-", None)),
    ("L", "B", "-", "deleted-in-cloud", ("L", None), ("-", True)),
    ("L", "-", "-", "local-only",       ("L", None), ("L", False)),
    ("-", "-", "C", "cloud-only",       ("C", None), ("C", False)),
    ("C", "-", "C", "in-sync",          ("C", None), ("C", False)),
    ("L", "-", "C", "conflict",         ("L", "C"),  ("C", True)),
]


@pytest.fixture
def setup(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Table")["projectId"]
    for name in ("main.py", "research.ipynb"):
        client.delete_file(pid, name)

    def arrange(local: str, base: str, cloud: str, name: str = "algo.py", text=TEXT):
        folder = ProjectFolder(client, pid, tmp_path, progress="none")
        if base != "-":
            client.create_file(pid, name, text[base])
            folder.pull([name])
        path = tmp_path / name
        if local == "-":
            path.unlink(missing_ok=True)
        else:
            path.write_text(text[local])
        if cloud == "-":
            emu.cloud_write(pid, name, None)
        elif base == "-" or cloud != base:
            emu.cloud_write(pid, name, text[cloud])
        return folder, path

    return arrange, pid


def cloud_has(emu, pid, name):
    return emu.cloud_files(pid).get(name)


@pytest.mark.parametrize("local, base, cloud, state, after_pull, after_push", ROWS,
                         ids=[f"{r[0]}{r[1]}{r[2]}" for r in ROWS])
def test_status(setup, local, base, cloud, state, after_pull, after_push):
    arrange, _ = setup
    folder, _ = arrange(local, base, cloud)
    assert folder.status().states() == {"algo.py": state}


@pytest.mark.parametrize("local, base, cloud, state, after_pull, after_push", ROWS,
                         ids=[f"{r[0]}{r[1]}{r[2]}" for r in ROWS])
def test_pull(setup, emu, local, base, cloud, state, after_pull, after_push):
    arrange, pid = setup
    folder, path = arrange(local, base, cloud)
    before_cloud = cloud_has(emu, pid, "algo.py")
    report = folder.pull(all=True)
    want, copy = after_pull
    assert (path.read_text() if path.exists() else "-") == TEXT.get(want, "-")
    conflict = path.with_name("algo.cloud.py")
    assert (conflict.read_text() if conflict.exists() else None) == (TEXT[copy] if copy else None)
    assert cloud_has(emu, pid, "algo.py") == before_cloud          # a pull never writes the cloud
    assert [a.state for a in report.actions] == [state]


@pytest.mark.parametrize("local, base, cloud, state, after_pull, after_push", ROWS,
                         ids=[f"{r[0]}{r[1]}{r[2]}" for r in ROWS])
def test_push(setup, emu, local, base, cloud, state, after_pull, after_push):
    arrange, pid = setup
    folder, path = arrange(local, base, cloud)
    before_local = path.read_text() if path.exists() else None
    report = folder.push(all=True)
    want, refused = after_push
    assert cloud_has(emu, pid, "algo.py") == TEXT.get(want)
    assert [a.name for a in report.refused] == (["algo.py"] if refused else [])
    assert (path.read_text() if path.exists() else None) == before_local   # never touches local
    if refused is None:
        assert [a.action for a in report.actions] == ["unchanged"]
        assert folder.status().states() == {"algo.py": state}      # still there to pull
    elif not refused and local != "-":
        assert folder.status().states() == {"algo.py": "in-sync"}


@pytest.mark.parametrize("local, base, cloud", [("L", "B", "C"), ("L", "-", "C"), ("B", "B", "C")])
def test_force_pull_takes_the_cloud_and_backs_up_unsynced_local_work(setup, tmp_path, local, base, cloud):
    arrange, _ = setup
    folder, path = arrange(local, base, cloud)
    report = folder.pull(all=True, force=True)
    assert path.read_text() == TEXT["C"]
    backups = [p.read_text() for p in (tmp_path / ".qc-sync" / "backups").rglob("algo.py")]
    assert backups == ([TEXT["L"]] if local == "L" else [])
    assert report.changed == ["algo.py"]


@pytest.mark.parametrize("local, base, cloud", [("L", "B", "C"), ("L", "B", "-"), ("L", "-", "C")])
def test_force_push_overwrites_the_cloud(setup, emu, local, base, cloud):
    arrange, pid = setup
    folder, _ = arrange(local, base, cloud)
    folder.push(all=True, force=True)
    assert cloud_has(emu, pid, "algo.py") == TEXT["L"]
    assert folder.status().states() == {"algo.py": "in-sync"}


def test_a_second_conflict_keeps_an_edited_conflict_copy(setup, emu, tmp_path):
    arrange, pid = setup
    folder, path = arrange("L", "B", "C")
    folder.pull(all=True)
    copy = tmp_path / "algo.cloud.py"
    copy.write_text("merging by hand\n")                 # someone works in the copy
    emu.cloud_write(pid, "algo.py", "value = 'cloud again'\n")
    folder.pull(all=True)
    assert copy.read_text() == "value = 'cloud again'\n"
    saved = [p.read_text() for p in (tmp_path / ".qc-sync" / "backups").rglob("algo.cloud.py")]
    assert saved == ["merging by hand\n"]
    folder.pull(all=True)                                # the same copy again: no new backup
    assert len(list((tmp_path / ".qc-sync" / "backups").rglob("algo.cloud.py"))) == 1


def test_dry_runs_write_nothing_anywhere(setup, emu, tmp_path):
    arrange, pid = setup
    folder, path = arrange("L", "B", "C")
    emu.cloud_write(pid, "new.py", "n = 1\n")
    (tmp_path / "mine.py").write_text("m = 1\n")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    cloud_before = emu.cloud_files(pid)
    pulled = folder.pull(all=True, dry_run=True)
    pushed = folder.push(all=True, dry_run=True)
    assert {a.name: a.action for a in pulled.actions} == {
        "algo.py": "conflict-copy", "new.py": "pulled", "mine.py": "skipped"}
    assert {a.name: a.action for a in pushed.actions} == {"algo.py": "refused", "mine.py": "created"}
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    assert emu.cloud_files(pid) == cloud_before
    assert "dry run" in str(pulled)


# --- notebooks: the work is the inputs; outputs are results ------------------------------------

def notebook(sources, outputs=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    for cell, out in zip(nb.cells, outputs or []):
        if out:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=out)]
            cell.execution_count = 1
    return nbformat.writes(nb)


NB = {
    "B": notebook(["x = 1", "print(x)"]),
    "B+local-out": notebook(["x = 1", "print(x)"], [None, "ran here\n"]),
    "B+cloud-out": notebook(["x = 1", "print(x)"], [None, "ran in the cloud\n"]),
    "L": notebook(["x = 2", "print(x)"]),
}


@pytest.mark.parametrize("local, cloud, state, pulled_outputs, backed_up", [
    ("B+local-out", "B", "in-sync", "ran here\n", False),          # local runs are not work
    ("B", "B+cloud-out", "cloud-changed", "ran in the cloud\n", False),
    ("B+local-out", "B+cloud-out", "cloud-changed", "ran in the cloud\n", True),
    # An edit here and a run in the cloud do not overlap: merged, the local edit with the
    # cloud's outputs, the local file before the merge backed up (no conflict copy).
    ("L", "B+cloud-out", "conflict", "ran in the cloud\n", True),
])
def test_notebook_outputs_and_inputs(setup, tmp_path, local, cloud, state, pulled_outputs, backed_up):
    arrange, _ = setup
    folder, path = arrange(local, "B", cloud, name="study.ipynb", text=NB)
    assert folder.status().states() == {"study.ipynb": state}
    folder.pull(all=True)
    nb = nbformat.reads(path.read_text(), as_version=4)
    assert nb.cells[1].outputs[0]["text"] == pulled_outputs
    if state == "conflict":   # never replace local inputs
        assert nb.cells[0].source == "x = 2"
        assert not (tmp_path / "study.cloud.ipynb").exists()
        assert folder.status().states() == {"study.ipynb": "local-changed"}
    backups = list((tmp_path / ".qc-sync" / "backups").rglob("study.ipynb"))
    assert bool(backups) == backed_up


def test_notebooks_are_pushed_without_outputs_unless_asked(setup, emu):
    arrange, pid = setup
    folder, path = arrange("B+local-out", "-", "-", name="study.ipynb", text=NB)
    folder.push(all=True)
    sent = json.loads(cloud_has(emu, pid, "study.ipynb"))
    assert all(c.get("outputs") == [] for c in sent["cells"])
    nbformat.validate(nbformat.reads(cloud_has(emu, pid, "study.ipynb"), as_version=4))
    folder.push(all=True, keep_outputs=True)
    sent = json.loads(cloud_has(emu, pid, "study.ipynb"))
    assert "".join(sent["cells"][1]["outputs"][0]["text"]) == "ran here\n"
    assert folder.status().states() == {"study.ipynb": "in-sync"}


def test_reports_say_what_they_hold_in_one_line():
    from qc_magics.sync.status import FileStatus, StatusReport, SyncReport
    report = StatusReport(1, "/tmp/x", [FileStatus(name=n, state=s) for n, s in
                                        [("a.py", "in-sync"), ("b.py", "in-sync"),
                                         ("c.py", "local-changed")]])
    assert report.summary() == "3 files: 2 in-sync, 1 local-changed"
    assert StatusReport(1, "/tmp/x").summary() == "0 files"
    done = SyncReport("push")
    assert done.summary() == ""
    done.add("main.py", "pushed", "local-changed")
    done.add("x:y.py", "refused", "local-only", "not a name the cloud takes")
    done.add("lib/a.py", "pushed", "local-only")
    assert done.summary() == "pushed main.py, lib/a.py; refused x:y.py"

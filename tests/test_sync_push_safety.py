"""Push, write and rm never replace work they have not seen, and change nothing when refused."""
from __future__ import annotations

import nbformat
import pytest

from conftest import make_client
from qc_magics import ApiError, InvalidArgument
from qc_magics.sync import ProjectFolder, SyncError
from qc_magics.sync.content import InvalidNotebook


@pytest.fixture
def world(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Safety")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    return client, pid, folder


def backups(root) -> dict[str, str]:
    base = root / ".qc-sync" / "backups"
    return {p.relative_to(base).as_posix(): p.read_text() for p in base.rglob("*")
            if p.is_file()} if base.exists() else {}


# --- rm ------------------------------------------------------------------------------------------

def test_rm_refuses_a_file_changed_in_the_cloud_since_the_last_sync(world, emu, tmp_path):
    client, pid, folder = world
    emu.cloud_write(pid, "main.py", "cloud work = 1\n")
    report = folder.remove("main.py")
    assert [a.action for a in report.actions] == ["refused"]
    assert "changed since the last sync" in report.actions[0].detail
    assert emu.cloud_files(pid)["main.py"] == "cloud work = 1\n"
    assert (tmp_path / "main.py").exists()
    report = folder.remove("main.py", force=True)
    assert report.actions[0].action == "removed"
    assert "cloud copy backed up to .qc-sync/backups/" in report.actions[0].detail
    assert "main.py" not in emu.cloud_files(pid)
    assert "cloud work = 1\n" in backups(tmp_path).values()


def test_rm_of_a_file_never_synced_here_keeps_the_cloud_text(world, emu, tmp_path):
    client, pid, folder = world
    emu.cloud_write(pid, "theirs.py", "only in the cloud\n")
    report = folder.remove("theirs.py")
    assert report.actions[0].action == "removed" and "cloud copy backed up" in \
        report.actions[0].detail
    assert "only in the cloud\n" in backups(tmp_path).values()
    (tmp_path / "both.py").write_text("local\n")
    emu.cloud_write(pid, "both.py", "cloud\n")
    assert folder.remove("both.py").actions[0].action == "refused"
    assert emu.cloud_files(pid)["both.py"] == "cloud\n"


def test_rm_of_a_synced_file_backs_up_only_the_local_copy(world, emu, tmp_path):
    client, pid, folder = world
    text = (tmp_path / "main.py").read_text()
    report = folder.remove("main.py")
    assert report.actions[0].action == "removed"
    assert "local copy moved" in report.actions[0].detail and "cloud copy" not in \
        report.actions[0].detail
    assert list(backups(tmp_path).values()) == [text]


# --- the window between the push's read and its update ------------------------------------------
# The API has no conditional write: each file is decided on a read of its cloud copy made just
# before its update (no earlier read of the project whose answer could be stale by then).

def edit_cloud_when_the_push_starts(monkeypatch, emu, pid, changes: dict[str, str]):
    """Someone saves in the cloud IDE while the push checks the local files."""
    from qc_magics.sync import push
    real = push.send_files

    def send_files(*args, **kwargs):
        for name, text in changes.items():
            emu.cloud_write(pid, name, text)
        return real(*args, **kwargs)

    monkeypatch.setattr(push, "send_files", send_files)


def test_a_cloud_edit_made_while_the_push_starts_is_not_overwritten(world, emu, tmp_path,
                                                                    monkeypatch):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("main.py local = 1\n")
    edit_cloud_when_the_push_starts(monkeypatch, emu, pid,
                                    {"main.py": "saved in the cloud meanwhile\n"})
    report = folder.push(["main.py"])
    assert report.actions[0].action == "refused"
    assert "changed since the last sync" in report.actions[0].detail
    assert emu.cloud_files(pid)["main.py"] == "saved in the cloud meanwhile\n"
    assert folder.status().states()["main.py"] == "conflict"      # a pull keeps both


def test_a_cloud_edit_made_during_a_push_of_many_files_is_not_overwritten(world, emu, tmp_path,
                                                                          monkeypatch):
    """Waves of 1, 2, ...: main.py, last, is read after the first update landed and the cloud
    changed it: refused; the others go."""
    client, pid, folder = world
    names = [f"lib{i}.py" for i in range(3)] + ["main.py"]
    for name in names[:-1]:
        emu.cloud_write(pid, name, f"{name} = 0\n")
    folder.pull(all=True)
    for name in names:
        (tmp_path / name).write_text(f"{name} local = 1\n")
    real = type(client).update_file

    def update_file(self, project_id, name, content):
        real(self, project_id, name, content)
        if name == "lib0.py":
            emu.cloud_write(pid, "main.py", "saved in the cloud meanwhile\n")

    monkeypatch.setattr(type(client), "update_file", update_file)
    folder.concurrency = 1
    report = folder.push(names)
    by_name = {a.name: a for a in report.actions}
    assert folder.wave_sizes[0] == 1 and sum(folder.wave_sizes) == 4
    assert by_name["main.py"].action == "refused"
    assert emu.cloud_files(pid)["main.py"] == "saved in the cloud meanwhile\n"
    for name in names[:-1]:
        assert by_name[name].action == "pushed"
    assert folder.status().states()["main.py"] == "conflict"      # a pull keeps both


def test_a_cloud_edit_right_after_the_update_is_kept_and_shown_by_status(world, emu, tmp_path,
                                                                        monkeypatch):
    """No read-back after the push (it would download what was just sent): the next status
    or pull compares the cloud with what was sent, and sees the edit."""
    client, pid, folder = world
    (tmp_path / "main.py").write_text("mine = 1\n")
    real = type(client).update_file

    def update_file(self, project_id, name, content):
        real(self, project_id, name, content)
        emu.cloud_write(pid, name, "someone saved right after\n")

    monkeypatch.setattr(type(client), "update_file", update_file)
    report = folder.push(["main.py"])
    assert report.actions[0].action == "pushed"
    assert folder.status().states()["main.py"] == "cloud-changed"
    folder.pull(all=True)
    assert (tmp_path / "main.py").read_text() == "someone saved right after\n"


def test_push_reads_a_wave_in_one_request_when_the_project_is_small(world, emu, tmp_path):
    client, pid, folder = world
    for i in range(4):
        emu.cloud_write(pid, f"m{i}.py", f"v = {i}\n")
    folder.pull(all=True)
    for i in range(4):
        (tmp_path / f"m{i}.py").write_text(f"v = {i + 10}\n")
    emu.clear_log()
    assert len(folder.push(all=True).changed) == 4
    reads = [r for r in emu.requests if r["endpoint"] == "/files/read"]
    # 6 files in all, 4 to send: one read of the project for the wave, and one after the push
    # to check what landed (a push of several files), nothing else
    assert len(reads) == 2 and not any("name" in r.get("fields", {}) for r in reads)
    assert emu.count("/files/update") == 4


# --- nothing local changes before the cloud write goes ahead ------------------------------------

def test_a_refused_push_with_parameters_leaves_the_local_notebook_alone(world, emu, tmp_path):
    client, pid, folder = world
    # The same cell edited on both sides: the merge a push tries first clashes, so it refuses.
    path = tmp_path / "research.ipynb"
    mine = nbformat.read(path, as_version=4)
    mine.cells[0].source += "\n# mine"
    nbformat.write(mine, path)
    before = path.read_text()
    nb = nbformat.reads(emu.cloud_files(pid)["research.ipynb"], as_version=4)
    nb.cells[0].source += "\n# theirs"
    nb.cells.append(nbformat.v4.new_code_cell("cloud_cell = 1"))
    emu.cloud_write(pid, "research.ipynb", nbformat.writes(nb))
    report = folder.push(["research.ipynb"], parameters={"n": 1})
    assert [a.action for a in report.actions] == ["refused"]
    assert (tmp_path / "research.ipynb").read_text() == before
    assert backups(tmp_path) == {}


def test_push_with_parameters_backs_up_unsynced_local_work_it_rewrites(world, emu, tmp_path):
    client, pid, folder = world
    path = tmp_path / "research.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("mine = 1"))
    nbformat.write(nb, path)
    edited = path.read_text()
    report = folder.push(["research.ipynb"], parameters={"n": 1})
    assert report.changed == ["research.ipynb"] and "backed up" in report.actions[0].detail
    assert edited in backups(tmp_path).values()
    assert "n = 1" in path.read_text()


def test_write_checks_everything_before_touching_the_local_file(world, emu, tmp_path):
    client, pid, folder = world
    before = (tmp_path / "main.py").read_text()
    with pytest.raises(InvalidArgument, match="no content to write to new.py"):
        folder.write("new.py", "")
    assert not (tmp_path / "new.py").exists() and "new.py" not in emu.cloud_files(pid)
    with pytest.raises(SyncError, match="nothing was written: main.py is 40,000 characters"):
        folder.write("main.py", "x" * 40_000)
    with pytest.raises(InvalidNotebook, match="nothing was written: research.ipynb is not a "
                                              "valid notebook: not valid JSON"):
        folder.write("research.ipynb", "{ not json")
    assert (tmp_path / "main.py").read_text() == before
    emu.cloud_write(pid, "main.py", "cloud work\n")
    report = folder.write("main.py", "mine\n")
    assert report.refused and (tmp_path / "main.py").read_text() == before
    assert emu.cloud_files(pid)["main.py"] == "cloud work\n"
    assert folder.write("main.py", "mine\n", force=True).changed == ["main.py"]
    assert (tmp_path / "main.py").read_text() == "mine\n"


def test_write_backs_up_unsynced_local_content(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("never pushed\n")
    assert folder.write("main.py", "new\n").changed == ["main.py"]
    assert "never pushed\n" in backups(tmp_path).values()
    assert emu.cloud_files(pid)["main.py"] == "new\n"


# --- empty files ---------------------------------------------------------------------------------

def test_the_emulator_treats_empty_content_as_the_service_does(world, emu):
    client, pid, folder = world
    with pytest.raises(ApiError, match="cannot be empty"):
        client.create_file(pid, "a.py", "")
    client.create_file(pid, "a.py", None)             # no content field: an empty file
    assert emu.cloud_files(pid)["a.py"] == ""
    with pytest.raises(ApiError, match="cannot be empty"):
        client.update_file(pid, "main.py", "")


def test_an_empty_file_is_pushed_and_does_not_block_the_others(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "util.py").write_text("def f():\n    return 1\n")
    report = folder.push(all=True)
    assert sorted(report.changed) == ["lib/__init__.py", "lib/util.py"], str(report)
    assert emu.cloud_files(pid)["lib/__init__.py"] == ""
    assert folder.status().states()["lib/__init__.py"] == "in-sync"
    other = ProjectFolder(client, pid, tmp_path / "clone", progress="none")
    other.pull(all=True)
    assert (tmp_path / "clone" / "lib" / "__init__.py").read_text() == ""


def test_emptying_an_existing_cloud_file_is_reported_not_sent(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "main.py").write_text("")
    (tmp_path / "other.py").write_text("x = 1\n")
    report = folder.push(all=True)
    by_name = {a.name: a for a in report.actions}
    assert by_name["main.py"].action == "refused"
    assert "does not accept empty content" in by_name["main.py"].detail
    assert by_name["other.py"].action == "created"
    assert emu.cloud_files(pid)["main.py"] != ""


def test_write_leaves_the_local_file_alone_when_the_cloud_changes_during_it(world, emu, tmp_path,
                                                                          monkeypatch):
    client, pid, folder = world
    before = (tmp_path / "main.py").read_text()
    edit_cloud_when_the_push_starts(monkeypatch, emu, pid,
                                    {"main.py": "saved in the cloud meanwhile\n"})
    report = folder.write("main.py", "mine\n")
    assert report.refused and "changed since the last sync" in report.refused[0].detail
    assert (tmp_path / "main.py").read_text() == before
    assert emu.cloud_files(pid)["main.py"] == "saved in the cloud meanwhile\n"


def test_a_file_that_is_not_text_is_skipped_and_the_rest_is_pushed(world, emu, tmp_path):
    client, pid, folder = world
    (tmp_path / "chart.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\x00")
    (tmp_path / "other.py").write_text("x = 1\n")
    report = folder.push(all=True)
    by_name = {a.name: a for a in report.actions}
    assert by_name["chart.png"].action == "skipped" and "UTF-8" in by_name["chart.png"].detail
    assert by_name["other.py"].action == "created"
    assert "chart.png" not in emu.cloud_files(pid)


def test_a_cloud_edit_right_after_an_update_in_a_push_of_many_files_is_reported(
        world, emu, tmp_path, monkeypatch):
    """A push of several files reads the cloud once more when done and names any file that no
    longer holds what was sent; nothing is changed, and a pull brings the edit."""
    client, pid, folder = world
    names = ["a.py", "b.py", "main.py"]
    for name in names:
        (tmp_path / name).write_text(f"{name} mine = 1\n")
    real = type(client).update_file

    def update_file(self, project_id, name, content):
        real(self, project_id, name, content)
        if name == "main.py":
            emu.cloud_write(pid, name, "someone saved right after\n")

    monkeypatch.setattr(type(client), "update_file", update_file)
    report = folder.push(names)
    by_name = {a.name: a for a in report.actions}
    assert by_name["main.py"].action == "pushed"
    assert "differs from what was sent right after the push" in by_name["main.py"].detail
    assert all("right after" not in by_name[n].detail for n in ("a.py", "b.py"))
    assert emu.cloud_files(pid)["main.py"] == "someone saved right after\n"
    # What was pushed is no synced version: a pull keeps it and writes the cloud's beside it.
    assert folder.status().states()["main.py"] == "conflict"
    pulled = folder.pull(all=True)
    assert (tmp_path / "main.py").read_text() == "main.py mine = 1\n"
    assert (tmp_path / "main.cloud.py").read_text() == "someone saved right after\n"
    assert {a.name: a.action for a in pulled.actions}["main.py"] == "conflict-copy"

"""No lost work under random histories, crashes half-way, and a faulty network."""
from __future__ import annotations

import json
import random
import threading

import nbformat
import pytest

import qc_magics.sync.disk as disk
from conftest import make_client
from qc_magics.api import RetryPolicy
from qc_magics.sync import ProjectFolder


def all_sources_on_disk(root) -> set[str]:
    """Every cell source in any notebook-ish file under root: files, conflict copies, backups."""
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and (path.suffix == ".ipynb" or "ipynb" in path.name):
            try:
                nb = nbformat.reads(path.read_text(), as_version=4)
            except Exception:
                continue
            found |= {c.source for c in nb.cells}
    return found


def add_cell(text: str, source: str) -> str:
    nb = nbformat.reads(text, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.writes(nb)


@pytest.mark.parametrize("seed", range(40))
def test_random_histories_never_lose_a_cell(emu, tmp_path, seed):
    run_history(emu, tmp_path, seed)


def run_history(emu, tmp_path: Path, seed: int) -> int:
    """A random two-sided history of one notebook; asserts nothing written is lost and every
    clean merge kept both sides' cells. Returns how many merges happened."""
    rng = random.Random(seed)
    client = make_client(emu)
    pid = client.create_project(f"Random {seed}")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    name = "research.ipynb"
    path = tmp_path / name
    written: set[str] = set()

    def sides_sources() -> set[str]:
        """Every cell source the local notebook and the cloud's hold now."""
        found = set()
        for text in (path.read_text() if path.exists() else None,
                     emu.cloud_files(pid).get(name)):
            if text is not None:
                found |= {c.source for c in nbformat.reads(text, as_version=4).cells}
        return found

    def check_merge(report, before: set[str]) -> None:
        """Neither side deletes cells here, so a clean merge keeps every source of both."""
        if any(a.name == name and a.action == "merged" for a in report.actions):
            merged = {c.source for c in nbformat.read(path, as_version=4).cells}
            assert before <= merged, (step, before - merged)
            merges.append(step)

    merges: list[int] = []
    for step in range(30):
        op = rng.choice(["local", "local", "cloud", "cloud", "pull", "push", "force-pull",
                         "delete-local"])
        if op == "local" and path.exists():
            # Edits go into the existing notebook; writing a new file over a deleted one would
            # be the person discarding work on purpose, not something a sync could keep.
            source = f"local_{seed}_{step} = {step}"
            path.write_text(add_cell(path.read_text(), source))
            written.add(source)
        elif op == "cloud":
            source = f"cloud_{seed}_{step} = {step}"
            current = emu.cloud_files(pid).get(name) or nbformat.writes(nbformat.v4.new_notebook())
            emu.cloud_write(pid, name, add_cell(current, source))
            written.add(source)
        elif op == "pull":
            before = sides_sources()
            check_merge(folder.pull(all=True), before)
        elif op == "push":
            before = sides_sources()
            check_merge(folder.push(all=True), before)
        elif op == "force-pull":
            folder.pull(all=True, force=True)
        elif op == "delete-local" and path.exists():
            # People delete files too; what was pushed or backed up must still be findable.
            cloud = emu.cloud_files(pid).get(name)
            if cloud is not None and nbformat.reads(cloud, as_version=4).cells == \
                    nbformat.reads(path.read_text(), as_version=4).cells:
                path.unlink()
    folder.pull(all=True)
    missing = written - all_sources_on_disk(tmp_path)
    assert missing == set()
    return len(merges)


def test_random_histories_merged_on_the_way(emu, tmp_path):
    """Both sides add cells in these histories: most runs see clean merges, not only copies
    (34 of the 40 seeds above merge at least once)."""
    merged = [run_history(emu, tmp_path / str(seed), seed) for seed in range(8)]
    assert sum(1 for n in merged if n) >= 4, merged


def make_files(n: int, tag: str) -> dict[str, str]:
    return {f"pkg{i % 7}/module_{i:03d}.py": f"# {tag} {i}\nVALUE_{i} = {i}\n" + "x = 1\n" * 20
            for i in range(n)}


class Boom(BaseException):
    """A crash: not an Exception, so nothing on the way catches it."""


def test_pull_of_100_files_interrupted_half_way_resumes_to_the_same_end(emu, tmp_path, monkeypatch):
    client = make_client(emu)
    pid = client.create_project("Crash pull")["projectId"]
    files = make_files(100, "cloud")
    for name, text in files.items():
        emu.cloud_write(pid, name, text)
    calls = {"n": 0}
    lock = threading.Lock()   # pull writes from several threads: count without losing one
    real_replace = disk.os.replace

    def crashing_replace(src, dst):
        if ".qc-sync" not in str(dst):
            with lock:
                calls["n"] += 1
                n = calls["n"]
            if n >= 51:   # half-way: like a killed process, no project file lands after this
                raise Boom()
        return real_replace(src, dst)

    monkeypatch.setattr(disk.os, "replace", crashing_replace)
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    with pytest.raises(Boom):
        folder.pull(all=True)
    monkeypatch.setattr(disk.os, "replace", real_replace)
    on_disk = snapshot(tmp_path)
    cloud = emu.cloud_files(pid)
    assert 40 <= len(on_disk) <= 60
    assert all(cloud[name] == text for name, text in on_disk.items())   # no partial file
    assert not list(tmp_path.rglob("*.tmp"))
    folder.pull(all=True)
    clean = tmp_path.parent / "clean"
    ProjectFolder(client, pid, clean, progress="none").pull(all=True)
    assert snapshot(tmp_path) == snapshot(clean)
    assert set(folder.status().states().values()) == {"in-sync"}


def snapshot(root):
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*")
            if p.is_file() and ".qc-sync" not in p.parts}


def test_push_of_100_files_interrupted_half_way_resumes_to_the_same_end(emu, tmp_path, monkeypatch):
    client = make_client(emu)
    pid = client.create_project("Crash push")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, concurrency=4, progress="none")
    folder.pull(all=True)
    files = make_files(100, "local")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    sent = {"n": 0}
    real_create = type(client).create_file

    def crashing_create(self, project_id, name, content):
        sent["n"] += 1
        if sent["n"] == 50:
            raise Boom()
        return real_create(self, project_id, name, content)

    monkeypatch.setattr(type(client), "create_file", crashing_create)
    with pytest.raises(Boom):
        folder.push(all=True)
    monkeypatch.setattr(type(client), "create_file", real_create)
    cloud = emu.cloud_files(pid)
    assert all(cloud[n] == t for n, t in files.items() if n in cloud)   # no partial file
    assert 30 <= sum(n in cloud for n in files) < 100
    report = folder.push(all=True)
    assert report.refused == [] and not [a for a in report.actions if a.action == "failed"]
    cloud = emu.cloud_files(pid)
    assert {n: cloud[n] for n in files} == files
    assert set(folder.status().states().values()) == {"in-sync"}
    creates = [r["fields"]["name"] for r in emu.requests if r["endpoint"] == "/files/create"]
    assert sorted(set(creates)) == sorted(files) and len(creates) == len(set(creates))


def test_100_files_at_fault_rate_0_2_end_as_a_clean_run(emu, tmp_path):
    client = make_client(emu, retry=RetryPolicy(attempts=8, base=0.002, cap=0.01))
    pid = client.create_project("Faulty")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path / "work", progress="none")
    folder.pull(all=True)
    files = make_files(100, "pushed")
    for name, text in files.items():
        path = tmp_path / "work" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    emu.fault_rate = 0.2
    pushed = folder.push(all=True)
    pulled_dir = tmp_path / "other"
    pulled = ProjectFolder(client, pid, pulled_dir, progress="none").pull(all=True)
    faults = sum(1 for r in emu.requests if r.get("fault"))
    emu.fault_rate = 0.0
    assert faults > 20
    assert not [a for a in pushed.actions if a.action == "failed"], str(pushed)
    assert {n: emu.cloud_files(pid)[n] for n in files} == files
    assert len(pulled.changed) == 102
    assert snapshot(pulled_dir) == snapshot(tmp_path / "work")
    creates = [r["fields"]["name"] for r in emu.requests
               if r["endpoint"] == "/files/create" and r["status"] == 200 and "fields" in r]
    assert len(creates) == len(set(creates)) == 100   # each file created exactly once


# --- two sides: metadata edits, dot-names, binary files, renames and removals on either side ---

TEXT_NAMES = ["a.py", "lib/b.py", "notes.cloud.py", "x.tmp", "lib/__init__.py"]
DOT_NAMES = [".env", "lib/.hidden.py", ".git/config", ".vscode/settings.json"]


def _work(name: str, data: bytes):
    """What a user would lose: the bytes, or for a notebook its inputs (cells and metadata), since
    a push stores the notebook in nbformat's layout without outputs."""
    if name.endswith(".ipynb"):
        try:
            nb = json.loads(data)
            return json.dumps([[{k: v for k, v in c.items() if k not in ("outputs",
                                                                            "execution_count")}
                                for c in nb["cells"]], nb.get("metadata")], sort_keys=True)
        except (ValueError, KeyError, TypeError):
            pass
    return data


def unsynced_local(root) -> set[bytes]:
    """Every local project file's bytes whose work differs from its last synced copy."""
    found = set()
    for name, path in disk.scan(root).files.items():
        data = path.read_bytes()
        base = root / ".qc-sync" / "base" / name
        if not base.exists() or _work(name, base.read_bytes()) != _work(name, data):
            found.add(data)
    return found


def notebook(tags: list[str], kernel: str, source: str = "x = 1") -> str:
    """A small valid notebook whose work includes metadata: a cell's tags and the kernelspec."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": [
        {"cell_type": "code", "id": "c1", "source": source, "metadata": {"tags": tags},
         "outputs": [], "execution_count": None}],
        "metadata": {"kernelspec": {"name": kernel, "display_name": kernel,
                                    "language": "python"}}}, indent=1) + "\n"


def work_of(text: str) -> tuple[list, str]:
    nb = json.loads(text)
    return nb["cells"][0]["metadata"].get("tags"), nb["metadata"]["kernelspec"]["name"]


def everything_on_disk(root) -> set[bytes]:
    return {p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("seed", range(20))
def test_two_sided_histories_with_odd_names_never_lose_local_work(emu, tmp_path, seed):
    rng = random.Random(1000 + seed)
    client = make_client(emu)
    pid = client.create_project(f"Odd {seed}")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    dot_local: dict[str, bytes] = {}
    dot_cloud: dict[str, str] = {}
    for step in range(30):
        op = rng.choice(["edit", "edit", "empty", "binary", "dot", "cloud", "cloud", "cloud-dot",
                         "rename", "cloud-rename", "remove", "cloud-remove", "meta", "cloud-meta",
                         "pull", "pull", "push", "force-pull"])
        tag = f"{seed}-{step}"
        nb_path = tmp_path / "r.ipynb"
        if op in ("edit", "empty", "binary"):
            path = tmp_path / rng.choice(TEXT_NAMES + (["logo.png"] if op == "binary" else []))
            path.parent.mkdir(parents=True, exist_ok=True)
            data = {"edit": f"local = '{tag}'\n".encode(), "empty": b"",
                    "binary": b"\x89PNG\xff\xfe" + tag.encode()}[op]
            path.write_bytes(data)
        elif op == "dot":
            name = rng.choice(DOT_NAMES)
            (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
            dot_local[name] = f"SECRET_{tag}=1\n".encode()
            (tmp_path / name).write_bytes(dot_local[name])
        elif op == "meta":   # a tag or a kernel chosen locally: work, like a source edit
            tags, kernel = work_of(nb_path.read_text()) if nb_path.exists() else ([], "python3")
            nb_path.write_text(notebook(tags + [f"t{tag}"], kernel) if rng.random() < 0.5
                               else notebook(tags, f"k{tag}"))
        elif op == "cloud-meta":
            # Metadata only, or the source too: then a pull that did not see a local metadata
            # edit as work would replace it.
            emu.cloud_write(pid, "r.ipynb", notebook([f"c{tag}"], rng.choice(["python3", "py"]),
                                                     rng.choice(["x = 1", f"x = '{tag}'"])))
        elif op == "cloud":
            emu.cloud_write(pid, rng.choice(TEXT_NAMES), f"cloud = '{tag}'\n")
        elif op == "cloud-dot":
            name = rng.choice(DOT_NAMES)
            dot_cloud[name] = f"[core]\n\tfsmonitor = echo {tag}\n"
            emu.cloud_write(pid, name, dot_cloud[name])
        elif op == "rename":
            old, new = rng.sample(TEXT_NAMES, 2)
            if (tmp_path / old).exists() and not (tmp_path / new).exists():
                (tmp_path / new).parent.mkdir(parents=True, exist_ok=True)
                (tmp_path / old).rename(tmp_path / new)
        elif op == "cloud-rename":
            old, new = rng.sample(TEXT_NAMES, 2)
            cloud = emu.cloud_files(pid)
            if old in cloud and new not in cloud:
                emu.cloud_write(pid, new, cloud[old])
                emu.cloud_write(pid, old, None)
        elif op == "remove":
            (tmp_path / rng.choice(TEXT_NAMES)).unlink(missing_ok=True)
        elif op == "cloud-remove":
            emu.cloud_write(pid, rng.choice(TEXT_NAMES), None)
        elif op == "push":
            before = folder.status().states().get("r.ipynb")
            folder.push(all=True)
            if before == "local-changed":   # the metadata edit reached the cloud
                assert work_of(emu.cloud_files(pid)["r.ipynb"]) == work_of(nb_path.read_text())
        else:
            at_risk = unsynced_local(tmp_path)
            folder.pull(all=True, force=op == "force-pull")
            lost = at_risk - everything_on_disk(tmp_path)
            assert not lost, (op, step, lost)
        # Whatever happened: hidden files are never touched here nor sent, binary never sent,
        # and no temp file is left behind.
        for name, data in dot_local.items():
            assert (tmp_path / name).read_bytes() == data
        cloud = emu.cloud_files(pid)
        assert {n: cloud.get(n) for n in dot_cloud} == dot_cloud
        assert not any(c.encode() in dot_local.values() for c in cloud.values())
        assert not any("PNG" in text for text in cloud.values())    # binary is never sent
        assert not list(tmp_path.rglob(".qc-sync-*.tmp"))
    assert set(folder.status().states()) >= set(dot_cloud)


@pytest.mark.parametrize("cloud_only", [True, False])
def test_a_save_while_a_pull_replaces_the_file_wins(emu, tmp_path, monkeypatch, cloud_only):
    """A person (or live sync's editor) saves between the pull's look at the file and its
    replace: the save stays, the pull skips the file and takes it next time."""
    import qc_magics.sync.pull as pull
    client = make_client(emu)
    pid = client.create_project("Saved meanwhile")["projectId"]
    base = [f"line_{i} = {i}\n" for i in range(10)]
    emu.cloud_write(pid, "main.py", "".join(base))
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    path = tmp_path / "main.py"
    emu.cloud_write(pid, "main.py", "".join(["cloud = 1\n"] + base[1:]))
    if not cloud_only:   # both changed in lines far apart: a merge, also guarded
        path.write_text("".join(base[:-1] + ["local = 1\n"]))
    real = pull.local_side

    def read_then_save(name, lpath):
        side = real(name, lpath)
        lpath.write_text("saved meanwhile = 1\n")
        return side
    monkeypatch.setattr(pull, "local_side", read_then_save)
    report = folder.pull(["main.py"])
    assert [(a.name, a.action) for a in report.actions] == [("main.py", "skipped")]
    assert path.read_text() == "saved meanwhile = 1\n"
    monkeypatch.setattr(pull, "local_side", real)
    assert folder.status().files[0].state in ("conflict", "local-changed")

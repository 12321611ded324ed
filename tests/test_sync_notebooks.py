"""Notebooks: metadata is work, execution noise is not; one validity check everywhere;
fingerprints from before metadata counted keep working; generated notebooks round-trip."""
from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_client
from qc_magics import InvalidArgument
from qc_magics.sync import ProjectFolder, SyncError, inject_parameters, read_outputs
from qc_magics.sync.content import InvalidNotebook, fingerprint, legacy_fingerprint
from qc_magics.sync.notebook_check import check_notebook

PNG = "iVBORw0KGgo="


def notebook(*cells, **metadata) -> str:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Python 3"},
                                            **metadata})
    nb.cells = list(cells)
    return nbformat.writes(nb)


def edit(path: Path, change) -> None:
    """Edit a notebook on disk as Jupyter would: read, change, write."""
    nb = nbformat.read(path, as_version=4)
    change(nb)
    nbformat.write(nb, path)


def edit_cloud(emu, pid, name, change) -> None:
    nb = nbformat.reads(emu.cloud_files(pid)[name], as_version=4)
    change(nb)
    emu.cloud_write(pid, name, nbformat.writes(nb))


@pytest.fixture
def world(emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Metadata")["projectId"]
    emu.cloud_write(pid, "research.ipynb", notebook(
        nbformat.v4.new_markdown_cell("# Study"),
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})))
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    return folder, pid, tmp_path / "research.ipynb"


# --- metadata is work ----------------------------------------------------------------------------

def tag(nb, value="results"):
    nb.cells[1].metadata["tags"] = ["parameters", value]


def attach(nb):
    nb.cells[0].attachments = {"chart.png": {"image/png": PNG}}
    nb.cells[0].source = "# Study\n![chart](attachment:chart.png)"


def attach_only(nb):
    nb.cells[0].attachments = {"chart.png": {"image/png": PNG}}


def kernel(nb):
    nb.metadata["kernelspec"] = {"name": "qc-lean", "display_name": "Foundation-Py-Default"}


@pytest.mark.parametrize("change", [tag, attach_only, kernel], ids=["tags", "attachments",
                                                                     "kernelspec"])
def test_a_metadata_edit_is_work_for_status_push_and_pull(world, emu, change):
    folder, pid, path = world
    edit(path, change)
    assert folder.status().states()["research.ipynb"] == "local-changed"
    assert folder.push(all=True).changed == ["research.ipynb"]
    cloud = nbformat.reads(emu.cloud_files(pid)["research.ipynb"], as_version=4)
    local = nbformat.read(path, as_version=4)
    assert cloud.metadata["kernelspec"] == local.metadata["kernelspec"]
    assert [(c.metadata, c.get("attachments")) for c in cloud.cells] == \
        [(c.metadata, c.get("attachments")) for c in local.cells]
    assert folder.status().states()["research.ipynb"] == "in-sync"
    # and the other way: a cloud-side metadata edit is pulled, never lost
    edit_cloud(emu, pid, "research.ipynb", lambda nb: tag(nb, "cloud-tag"))
    assert folder.status().states()["research.ipynb"] == "cloud-changed"
    assert folder.pull(all=True).changed == ["research.ipynb"]
    assert "cloud-tag" in nbformat.read(path, as_version=4).cells[1].metadata["tags"]


def test_metadata_edits_on_both_sides_are_a_conflict_that_keeps_both(world, emu, tmp_path):
    folder, pid, path = world
    edit(path, lambda nb: tag(nb, "mine"))
    edit_cloud(emu, pid, "research.ipynb", lambda nb: tag(nb, "theirs"))
    assert folder.status().states()["research.ipynb"] == "conflict"
    assert folder.push(all=True).refused
    folder.pull(all=True)
    assert "mine" in nbformat.read(path, as_version=4).cells[1].metadata["tags"]
    copy_ = nbformat.read(tmp_path / "research.cloud.ipynb", as_version=4)
    assert "theirs" in copy_.cells[1].metadata["tags"]
    d = folder.diff("research.ipynb")
    assert [c.kind for c in d.cells] == ["metadata"] and "mine" in str(d) and "theirs" in str(d)


def noise(nb):
    nb.cells[1].execution_count = 12
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    nb.cells[1].metadata.update({"collapsed": True, "scrolled": "auto",
                                 "execution": {"iopub.status.busy": "2026-11-21T10:00:00Z"},
                                 "jupyter": {"outputs_hidden": True}})
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    for c in nb.cells:
        c.id = "renumbered-" + c.cell_type


def test_execution_noise_is_not_work(world, emu):
    folder, pid, path = world
    before = emu.cloud_files(pid)["research.ipynb"]
    edit(path, noise)
    assert folder.status().states()["research.ipynb"] == "in-sync"
    assert folder.push(all=True).changed == []
    assert emu.cloud_files(pid)["research.ipynb"] == before
    a, b = fingerprint("x.ipynb", before), fingerprint("x.ipynb", path.read_text())
    assert a.work == b.work and a.outputs != b.outputs


def test_a_state_from_before_metadata_counted_keeps_working(world, emu, tmp_path):
    """Bases stored with the old fingerprint are migrated: nothing looks changed, and a base
    whose copy is gone is forgotten (compared as on a first sync), never taken as a change."""
    folder, pid, path = world
    edit(path, lambda nb: tag(nb, "kept"))
    folder.push(all=True)
    state_file = tmp_path / ".qc-sync" / "state.json"
    data = json.loads(state_file.read_text())
    for name, base in data["files"].items():
        old = legacy_fingerprint(name, (tmp_path / ".qc-sync" / "base" / name).read_text())
        base.update(work=old.work, whole=old.whole, outputs=old.outputs)
    data["version"] = 1
    state_file.write_text(json.dumps(data))
    assert set(folder.status().states().values()) == {"in-sync"}
    assert json.loads(state_file.read_text())["version"] == 2
    assert folder.diff("research.ipynb", against="base").identical
    # the base copy is gone: nothing to recompute from, so compared as on a first sync
    data["version"] = 1
    state_file.write_text(json.dumps(data))
    (tmp_path / ".qc-sync" / "base" / "research.ipynb").unlink()
    assert folder.status().states()["research.ipynb"] == "in-sync"
    edit(path, lambda nb: tag(nb, "new"))
    assert folder.status().states()["research.ipynb"] == "conflict"   # both kept by a pull


# --- one check, the same everywhere -------------------------------------------------------------

def raw_nb(cells, minor=5, **top):
    return json.dumps({"nbformat": 4, "nbformat_minor": minor, "metadata": {},
                       "cells": cells, **top})


CODE = {"id": "c1", "cell_type": "code", "metadata": {}, "source": "x", "outputs": [],
        "execution_count": None}
BAD = {
    "markdown-with-outputs": ([{"id": "m", "cell_type": "markdown", "metadata": {},
                                "source": "# t", "outputs": []}],
                              "cell 0 (markdown) has outputs"),
    "null-source": ([{**CODE, "source": None}], "cell 0 (code) has no source text (it is null)"),
    "unknown-cell-type": ([{**CODE, "cell_type": "chart"}], "cell 0 has unknown cell type 'chart'"),
    "no-metadata": ([{k: v for k, v in CODE.items() if k != "metadata"}],
                    "cell 0 (code) has no metadata"),
    "unknown-output": ([{**CODE, "outputs": [{"output_type": "hologram"}]}],
                       "cell 0 (code) output 0 has unknown output type 'hologram'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_an_invalid_notebook_is_refused_the_same_way_everywhere(world, emu, tmp_path, case):
    folder, pid, path = world
    cells, problem = BAD[case]
    text = raw_nb(cells)
    bad = tmp_path / "bad.ipynb"
    bad.write_text(text)
    expected = f"bad.ipynb is not a valid notebook: {problem}"
    emu.clear_log()
    for call in (lambda: folder.push(["bad.ipynb"]),
                 lambda: folder.push(["bad.ipynb"], keep_outputs=True),
                 lambda: folder.push(["bad.ipynb"], parameters={"n": 1})):
        with pytest.raises(SyncError) as e:
            call()
        assert expected in str(e.value) and "\n  bad.ipynb" in str(e.value)
    for call in (lambda: folder.write("bad.ipynb", text), lambda: folder.outputs("bad.ipynb"),
                 lambda: inject_parameters(text, {"n": 1}, name="bad.ipynb")):
        with pytest.raises(InvalidNotebook) as e:
            call()
        assert expected in str(e.value) and "\n" not in str(e.value)
    assert emu.requests == [] and bad.read_text() == text
    warnings.simplefilter("ignore")
    with pytest.raises(Exception):
        nbformat.validate(json.loads(text))     # nbformat agrees that it is invalid


def test_a_v3_notebook_is_refused_clearly_everywhere(world, emu, tmp_path):
    folder, pid, path = world
    v3 = json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
                     "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1",
                                                "language": "python", "outputs": []}]}]})
    (tmp_path / "old.ipynb").write_text(v3)
    expected = "old.ipynb is not a valid notebook: it is an nbformat 3 notebook"
    for call in (lambda: folder.push(["old.ipynb"]),
                 lambda: folder.push(["old.ipynb"], keep_outputs=True),
                 lambda: folder.push(["old.ipynb"], parameters={"n": 1}),
                 lambda: folder.write("old.ipynb", v3), lambda: folder.outputs("old.ipynb")):
        with pytest.raises((SyncError, InvalidNotebook), match=expected):
            call()
    assert (tmp_path / "old.ipynb").read_text() == v3
    assert "not a valid notebook" in folder.status()["old.ipynb"].note
    emu.cloud_write(pid, "cloud-old.ipynb", v3)
    assert [a.action for a in folder.pull(all=True).actions
            if a.name == "cloud-old.ipynb"] == ["invalid"]


def test_outputs_name_what_is_wrong_in_one_line(world, tmp_path):
    folder, pid, path = world
    (tmp_path / "main.py").write_text("x = 1\n")
    with pytest.raises(InvalidArgument, match="main.py is not a notebook"):
        folder.outputs("main.py")
    with pytest.raises(InvalidArgument, match="main.py is not a notebook"):
        read_outputs(tmp_path / "main.py")
    (tmp_path / "nover.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    with pytest.raises(InvalidNotebook, match="nover.ipynb is not a valid notebook: it has no "
                                              "'nbformat' version"):
        folder.outputs("nover.ipynb")


def test_pushing_a_notebook_imports_neither_nbformat_nor_jsonschema(tmp_path):
    text = notebook(nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["a"]}))
    (tmp_path / "n.ipynb").write_text(text)
    code = ("import sys\nfrom qc_magics.sync.push import outgoing_item\n"
            f"outgoing_item('n.ipynb', open({str(tmp_path / 'n.ipynb')!r}).read(), "
            "size_cap=32000, parameters={'n': 1})\n"
            "print(sorted(m for m in ('nbformat', 'jsonschema', 'fastjsonschema') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_old_notebooks_with_cell_ids_become_4_5_and_stay_valid():
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 2
    nb.cells = [nbformat.v4.new_code_cell("x"), nbformat.v4.new_code_cell("y")]
    nb.cells[1].id = nb.cells[0].id                          # a repeated id, repaired
    warnings.simplefilter("ignore")
    checked = check_notebook("n.ipynb", json.dumps(nb))
    assert checked["nbformat_minor"] == 5 and len({c["id"] for c in checked["cells"]}) == 2
    nbformat.validate(checked)


# --- generated notebooks -------------------------------------------------------------------------

text_st = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)
tag_st = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=","),
                 min_size=1, max_size=8)
meta_st = st.fixed_dictionaries({}, optional={
    "tags": st.lists(tag_st, unique=True, max_size=3),
    "owner": text_st, "editable": st.booleans(),
    "collapsed": st.booleans(), "scrolled": st.sampled_from([True, False, "auto"])})
output_st = st.one_of(
    st.builds(lambda t, n: nbformat.v4.new_output("stream", name=n, text=t), text_st,
              st.sampled_from(["stdout", "stderr"])),
    st.builds(lambda t: nbformat.v4.new_output("display_data", data={"text/plain": t}), text_st),
    st.builds(lambda t: nbformat.v4.new_output("error", ename="E", evalue=t, traceback=[t]),
              text_st))


@st.composite
def cell_st(draw):
    kind = draw(st.sampled_from(["code", "markdown", "raw"]))
    source, meta = draw(text_st), draw(meta_st)
    if kind != "code":
        meta = {k: v for k, v in meta.items() if k not in ("collapsed", "scrolled")}
    if kind == "code":
        return nbformat.v4.new_code_cell(source, metadata=meta,
                                         outputs=draw(st.lists(output_st, max_size=2)),
                                         execution_count=draw(st.none() | st.integers(0, 99)))
    make = nbformat.v4.new_markdown_cell if kind == "markdown" else nbformat.v4.new_raw_cell
    cell = make(source, metadata=meta)
    if draw(st.booleans()):
        cell.attachments = {draw(tag_st) + ".png": {"image/png": PNG}}
    return cell


@st.composite
def notebook_st(draw):
    nb = nbformat.v4.new_notebook(cells=draw(st.lists(cell_st(), max_size=5)))
    nb.metadata = draw(st.fixed_dictionaries({}, optional={
        "kernelspec": st.builds(lambda n: {"name": n or "k", "display_name": n}, text_st),
        "title": text_st, "qc": st.dictionaries(tag_st, st.integers(), max_size=2)}))
    return nbformat.writes(nb)


def work_of(text: str) -> list:
    nb = json.loads(text)
    return [nb["metadata"].get("kernelspec"),
            [(c["cell_type"], "".join(c["source"]), c["metadata"].get("tags"),
              c["metadata"].get("owner"), c.get("attachments")) for c in nb["cells"]]]


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=notebook_st())
def test_generated_notebooks_round_trip_every_input_and_tag(emu, text):
    client = make_client(emu)
    pid = client.create_project("Generated")["projectId"]
    with tempfile.TemporaryDirectory() as here, tempfile.TemporaryDirectory() as there:
        (Path(here) / "g.ipynb").write_text(text, encoding="utf-8")
        report = ProjectFolder(client, pid, here, progress="none").push(["g.ipynb"])
        assert report.changed == ["g.ipynb"], str(report)
        other = ProjectFolder(client, pid, there, progress="none")
        other.pull(all=True)
        back = (Path(there) / "g.ipynb").read_text(encoding="utf-8")
        assert work_of(back) == work_of(text)
        assert other.status().states()["g.ipynb"] == "in-sync"
        assert ProjectFolder(client, pid, here, progress="none").status().states()["g.ipynb"] \
            == "in-sync"
    client.delete_project(pid)


# Structures around the rules of the check: each may break one of them, or not.
any_st = st.one_of(st.none(), st.integers(-2, 2), st.text(max_size=3), st.booleans())
raw_output_st = st.fixed_dictionaries(
    {"output_type": st.sampled_from(["stream", "display_data", "execute_result", "error",
                                     "hologram"])},
    optional={"name": st.sampled_from(["stdout", 3]), "text": st.one_of(text_st, st.none()),
              "data": st.sampled_from([{}, {"text/plain": "1"}, {"image/png": 5},
                                       {"application/json": {"a": 1}}]),
              "metadata": st.sampled_from([{}, None]), "execution_count": any_st,
              "ename": st.just("E"), "evalue": any_st, "traceback": st.sampled_from([["t"], "t"])})
raw_meta_st = st.fixed_dictionaries({}, optional={
    "tags": st.sampled_from([["a"], ["a", "a"], ["a,b"], [""], "a", [1], ["x", "y"]]),
    "name": st.sampled_from(["n", "", "a\nb", 1]), "collapsed": any_st, "scrolled": any_st,
    "jupyter": st.sampled_from([{"source_hidden": True}, 1]),
    "execution": st.sampled_from([{"iopub.status.busy": "t"}, {"a": 1}]),
    "format": any_st})
raw_cell_st = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw", "chart"])},
    optional={"id": st.sampled_from(["abc", "a b", "x" * 70, "ok-1_2"]), "metadata": raw_meta_st,
              "source": st.one_of(text_st, st.lists(text_st, max_size=2), st.none(), st.just(3)),
              "outputs": st.one_of(st.lists(raw_output_st, max_size=2), st.none()),
              "execution_count": any_st,
              "attachments": st.sampled_from([{"a.png": {"image/png": PNG}}, {"a.png": 1}, 1])})
raw_nb_st = st.fixed_dictionaries(
    {"nbformat": st.just(4), "cells": st.lists(raw_cell_st, max_size=3)},
    optional={"nbformat_minor": st.sampled_from([0, 2, 4, 5, -1, "5"]),
              "metadata": st.fixed_dictionaries({}, optional={
                  "kernelspec": st.sampled_from([{"name": "p", "display_name": "P"},
                                                 {"name": "p"}, 1]),
                  "language_info": st.sampled_from([{"name": "python"}, {}]),
                  "title": any_st, "authors": st.sampled_from([[], "a"])}),
              "extra": st.just(1)})


def nbformat_accepts(nb: dict) -> bool:
    nb = copy.deepcopy(nb)
    cells = nb.get("cells")
    minor = nb.get("nbformat_minor")
    if isinstance(minor, int) and minor < 5 and any("id" in c for c in cells):
        nb["nbformat_minor"] = 5     # as the check does: cell ids mean 4.5 (module docstring)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            nbformat.validate(nb)
        except Exception:
            return False
    return True


@settings(max_examples=300, deadline=None)
@given(nb=raw_nb_st)
def test_the_check_accepts_exactly_what_nbformat_accepts(nb):
    try:
        check_notebook("g.ipynb", json.dumps(nb))
        ours = True
    except InvalidNotebook as e:
        assert str(e).startswith("g.ipynb is not a valid notebook: ") and "\n" not in str(e)
        ours = False
    assert ours == nbformat_accepts(nb)


# --- two-sided random histories with metadata edits ----------------------------------------------

def marks_on_disk(root: Path) -> set[str]:
    """Every tag, attachment name, kernelspec label and cell source in any notebook-ish file
    under root: files, conflict copies, backups."""
    found = set()
    for path in root.rglob("*"):
        if path.is_file() and "ipynb" in path.name:
            try:
                nb = json.loads(path.read_text())
            except ValueError:
                continue
            found |= set(nb.get("metadata", {}).get("kernelspec", {}).get("display_name",
                                                                          "").split())
            for c in nb.get("cells", []):
                found.add("".join(c.get("source", "")))
                found |= set(c.get("metadata", {}).get("tags", []))
                found |= set(c.get("attachments", {}))
    return found


def mark(nb, rng: random.Random, label: str) -> None:
    what = rng.choice(["tag", "attachment", "kernel"])
    if what == "kernel":
        # additive, like the other edits: the display name keeps every earlier label
        old = nb.metadata.get("kernelspec", {}).get("display_name", "")
        nb.metadata["kernelspec"] = {"name": label, "display_name": f"{old} {label}".strip()}
        return
    cell = rng.choice(nb.cells)
    if what == "tag":
        cell.metadata.setdefault("tags", []).append(label)
    elif cell.cell_type == "markdown":
        cell.setdefault("attachments", {})[label] = {"image/png": PNG}
    else:
        cell.metadata.setdefault("tags", []).append(label)


@pytest.mark.parametrize("seed", range(12))
def test_random_histories_never_lose_a_metadata_edit(emu, tmp_path, seed):
    rng = random.Random(seed)
    client = make_client(emu)
    pid = client.create_project(f"Meta {seed}")["projectId"]
    name = "research.ipynb"
    emu.cloud_write(pid, name, notebook(nbformat.v4.new_markdown_cell("# t"),
                                        nbformat.v4.new_code_cell("x = 1")))
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    path = tmp_path / name
    written: set[str] = set()
    for step in range(25):
        op = rng.choice(["local", "local", "cloud", "cloud", "local-cell", "cloud-cell",
                         "pull", "push", "force-pull"])
        label = f"m{seed}x{step}"
        if op == "local":
            edit(path, lambda nb: mark(nb, rng, label))
        elif op == "cloud":
            edit_cloud(emu, pid, name, lambda nb: mark(nb, rng, label))
        elif op == "local-cell":   # source edits too, so that files really travel
            edit(path, lambda nb: nb.cells.append(nbformat.v4.new_code_cell(label)))
        elif op == "cloud-cell":
            edit_cloud(emu, pid, name,
                       lambda nb: nb.cells.append(nbformat.v4.new_code_cell(label)))
        if op in ("local", "cloud", "local-cell", "cloud-cell"):
            written.add(label)
        elif op == "pull":
            folder.pull(all=True)
        elif op == "push":
            folder.push(all=True)
        elif op == "force-pull":
            folder.pull(all=True, force=True)
    folder.pull(all=True)
    cloud_marks = marks_on_disk_text(emu.cloud_files(pid)[name])
    assert written - marks_on_disk(tmp_path) - cloud_marks == set()


def marks_on_disk_text(text: str) -> set[str]:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "c.ipynb").write_text(text)
        return marks_on_disk(Path(d))


@pytest.mark.parametrize("bad", [
    '{"cells": [{"cell_type": "bogus", "source": "x", "metadata": {}}], "nbformat": 4, '
    '"nbformat_minor": 5, "metadata": {}}',
    '{"cells": [{"cell_type": "code", "id": "a", "source": "x", "metadata": {}, '
    '"execution_count": null, "outputs": [{"output_type": "weird"}]}], "nbformat": 4, '
    '"nbformat_minor": 5, "metadata": {}}',
])
def test_a_cloud_notebook_push_would_refuse_never_replaces_a_good_local_one(emu, tmp_path, bad):
    client = make_client(emu)
    pid = client.create_project("Bad Cloud")["projectId"]
    folder = ProjectFolder(client, pid, tmp_path, progress="none")
    folder.pull(all=True)
    good = (tmp_path / "research.ipynb").read_text()
    emu.cloud_write(pid, "research.ipynb", bad)
    report = folder.pull(all=True)
    assert {a.name: a.action for a in report.actions}["research.ipynb"] == "invalid"
    assert (tmp_path / "research.ipynb").read_text() == good
    assert (tmp_path / "research.cloud-invalid.txt").read_text() == bad

"""Every example notebook runs top to bottom in a real kernel, against the emulator it starts
itself when no credentials are set: no error outputs."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import new_token

pytestmark = pytest.mark.slow
EXAMPLES = sorted((Path(__file__).parents[1] / "example_notebooks").glob("*.ipynb"))


def test_there_are_the_six_examples():
    assert [p.name for p in EXAMPLES] == [
        "01_quick_start.ipynb", "02_research_round_trip.ipynb", "03_backtest_analysis.ipynb",
        "04_optimization_grid.ipynb", "05_panel.ipynb", "06_object_store_round_trip.ipynb"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_without_errors(path, tmp_path, monkeypatch):
    token = new_token()
    monkeypatch.setenv("QC_MAGICS_EMULATOR_TOKEN", token)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    shutil.copy(path, tmp_path / path.name)
    nb = nbformat.read(tmp_path / path.name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [(i, o.get("ename"), o.get("evalue")) for i, cell in enumerate(nb.cells)
              for o in cell.get("outputs", []) if o["output_type"] == "error"]
    assert errors == []
    first = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "local emulator" in first                   # the first cell says which service
    assert token not in nbformat.writes(nb)            # the kernel's emulator token never shows

"""Every example notebook runs top to bottom in a real kernel, against the emulator it starts
itself when no credentials are set. The notebooks hold their own checks (`assert` lines a reader
sees); here: no error outputs, nothing shown that reads wrong (NaT, numbers in scientific
notation, a widget that cannot be drawn), the token never shows, and the run saves as a valid
notebook."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import new_token

pytestmark = pytest.mark.slow
EXAMPLES = sorted((Path(__file__).parents[1] / "example_notebooks").glob("*.ipynb"))

# A number as pandas writes it in scientific notation: "1.5e+06", "2e-05", "-3.1E+10". Pandas
# always signs the exponent, and the mantissa starts where a word does not, so hex ids
# ("9e4d6e3c") and ids with dashes ("O-37ebdcd9e", "a1b2-15e-4-9f") never match.
SCIENTIFIC = re.compile(r"(?<![\w.-])[-+]?\d+(?:\.\d+)?[eE][-+]\d+(?![\w.-])")
NAT = re.compile(r"\bNaT\b")


def test_there_are_the_six_examples():
    assert [p.name for p in EXAMPLES] == [
        "01_quick_start.ipynb", "02_research_round_trip.ipynb", "03_backtest_analysis.ipynb",
        "04_optimization_grid.ipynb", "05_panel.ipynb", "06_object_store_round_trip.ipynb"]


@pytest.mark.parametrize("text", ["1.5e+06", "2e-05", "-3.1E+10", "x 1.234560e-01 y",
                                  "| 2.400000e+02 |"])
def test_scientific_notation_is_found(text):
    assert SCIENTIFIC.search(text)


@pytest.mark.parametrize("text", [
    "23c6612f4826867323a7711a81332876", "O-37ebdcd9e87a1613e443df789", "ab2e-05cd",
    "0bcbf95c15e-4f2a", "a1b2-15e-4-9f", "1.5e6", "version 2.0.0-e+1", "ema 10/50", "2026-11-22 01:47:18+00:00",
    "3 days 00:00:00", "0.000160", "1,200,000.00"])
def test_scientific_notation_is_not_found_in_ids_dates_or_plain_numbers(text):
    assert not SCIENTIFIC.search(text)


def outputs(nb):
    """(cell index, output) for every output of every code cell."""
    return [(i, o) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for o in cell.get("outputs", [])]


def shown_text(output) -> list[tuple[str, str]]:
    """(kind, text) of what an output shows: a stream's text, a result's text/plain and
    text/html."""
    if output["output_type"] == "stream":
        return [("stream", output.get("text", ""))]
    data = output.get("data", {})
    return [(mime, data[mime]) for mime in ("text/plain", "text/html") if mime in data]


def run_example(path, tmp_path, monkeypatch, token):
    monkeypatch.setenv("QC_MAGICS_EMULATOR_TOKEN", token)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    shutil.copy(path, tmp_path / path.name)
    nb = nbformat.read(tmp_path / path.name, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs_and_its_checks_pass(path, tmp_path, monkeypatch):
    token = new_token()
    nb = run_example(path, tmp_path, monkeypatch, token)
    errors = [(i, o.get("ename"), o.get("evalue")) for i, o in outputs(nb)
              if o["output_type"] == "error"]
    assert errors == []                                 # the notebook's own asserts passed too
    first = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "local emulator" in first                   # the first cell says which service
    assert token not in nbformat.writes(nb)            # the kernel's emulator token never shows

    shown = [(i, kind, text) for i, o in outputs(nb) for kind, text in shown_text(o)]
    assert [(i, kind) for i, kind, text in shown if "Error displaying widget" in text] == []
    # A table read back keeps its index as the index, not as a column named "Unnamed: 0".
    assert [(i, kind) for i, kind, text in shown if "Unnamed: 0" in text] == []
    # Widgets stay only where a panel is shown: a finished progress bar left a line of text.
    widgets = [i for i, o in outputs(nb)
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert [i for i in widgets if "%qc panel" not in nb.cells[i].source] == []
    assert [(i, kind, NAT.findall(text)) for i, kind, text in shown if NAT.search(text)] == []
    assert [(i, kind, SCIENTIFIC.findall(text)) for i, kind, text in shown
            if kind != "stream" and SCIENTIFIC.search(text)] == []

    # What a user reopening it gets: the run saved, read back, still a valid notebook.
    saved = tmp_path / f"saved_{path.name}"
    nbformat.write(nb, saved)
    again = nbformat.read(saved, as_version=4)
    nbformat.validate(again)
    assert [c.source for c in again.cells] == [c.source for c in nb.cells]
    assert len(outputs(again)) == len(outputs(nb)) > 0

"""The package as installed: light imports, the console script, and the token scan of the suite."""
from __future__ import annotations

import subprocess
import sys

import conftest


def test_import_touches_no_heavy_module_and_no_network():
    code = ("import sys, socket\n"
            "def refuse(*a, **k): raise SystemExit('network at import')\n"
            "socket.socket.connect = refuse\n"
            "import qc_magics\n"
            "heavy = [m for m in ('pandas', 'ipywidgets', 'matplotlib', 'requests') if m in sys.modules]\n"
            "print(heavy)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_console_script_exists_and_reports_usage_errors_with_exit_2():
    # The script installed beside this interpreter, whatever PATH says (a venv need not be active).
    from pathlib import Path
    script = Path(sys.executable).with_name("qc-magics")
    assert script.exists(), f"no console script at {script}"
    out = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip()
    out = subprocess.run([str(script), "no-such-command"], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("qc-magics: ") and "Traceback" not in out.stderr


def test_the_scanner_would_see_a_token():
    conftest.SCANNED.append(("canary", "x canary-token-value y"))
    try:
        assert conftest.leaks({"canary-token-value"}) == ["canary"]
    finally:
        conftest.SCANNED.pop()


def test_zz_no_token_in_any_output(request):
    """Runs last: everything the suite printed, logged or raised so far holds no API token."""
    if request.session.testscollected > 50:   # the whole suite, not one file of it
        assert len(conftest.SCANNED) > 50, "the scan saw too little to mean anything"
    assert conftest.SUITE_TOKEN in conftest.SECRETS
    assert conftest.leaks() == []


def test_spec_copy_matches_the_shared_reference():
    import pytest
    import spec
    if not spec.SHARED_SPEC_PATH.exists():
        pytest.skip("no copy of the shared API reference beside this clone")
    assert spec.SPEC_PATH.read_bytes() == spec.SHARED_SPEC_PATH.read_bytes()


def test_every_subcommand_is_documented_in_help_and_readme():
    import re
    from pathlib import Path

    from qc_magics.commands import NAMES, overview, usage
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    text = overview("%qc")
    for name in NAMES:
        assert f"  {name} " in text, name
        assert usage(name, "%qc").startswith("usage: %qc " + name), name
        first, *second = name.split()
        lines = [line for line in readme.splitlines() if f"qc {first}" in line]
        # "optimize read|abort|delete ID" documents three subcommands on one line
        assert any(not second or re.search(rf"\b{second[0]}\b", line) for line in lines), name


def test_ci_runs_the_readme_commands():
    """The README's quick start is what CI runs, so a green CI means the README is true."""
    from pathlib import Path
    root = Path(__file__).parents[1]
    readme, ci = (root / "README.md").read_text(), (root / ".ci" / "run").read_text()
    for command in ("python3 -m venv .venv", '.venv/bin/pip install -e ".[dev]"',
                    ".venv/bin/qc-magics demo", ".venv/bin/python -m pytest"):
        assert command in readme, command
        assert command.replace(' -e', ' --quiet -e') in ci or command in ci, command


def test_the_version_is_said_once_in_each_place_and_they_agree():
    import re
    from pathlib import Path

    from qc_magics import __version__
    pyproject = (Path(__file__).parents[1] / "pyproject.toml").read_text()   # 3.10: no tomllib
    assert re.search(r'^version = "([^"]+)"$', pyproject, re.M).group(1) == __version__

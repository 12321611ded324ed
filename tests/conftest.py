"""Shared fixtures, and the suite-wide check that no API token ever shows.

Every emulator the tests start uses one of the tokens in `SECRETS`. All captured output (stdout,
stderr, log records at DEBUG) and the text of every QCError created during the run is collected;
`test_zz_no_token_in_any_output` (ordered last) and the session end both scan it.
"""
from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

SECRETS: set[str] = set()
SCANNED: list[tuple[str, str]] = []


def new_token() -> str:
    token = secrets.token_hex(32)
    SECRETS.add(token)
    return token


SUITE_TOKEN = new_token()


def pytest_configure(config):
    # Record the text of every QCError ever built, caught or not.
    from qc_magics import errors

    original = errors.QCError.__init__

    def recording_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        SCANNED.append((f"{type(self).__name__}", f"{self} {self!r} {args!r}"))

    errors.QCError.__init__ = recording_init


def pytest_runtest_logreport(report):
    texts = [content for _, content in report.sections]
    if report.longrepr:
        texts.append(str(report.longrepr))
    if texts:
        SCANNED.append((report.nodeid, "\n".join(texts)))


def leaks(tokens=None) -> list[str]:
    tokens = SECRETS if tokens is None else tokens
    return sorted({where for where, text in SCANNED for t in tokens if t in text})


def pytest_collection_modifyitems(items):
    last = [i for i in items if i.name == "test_zz_no_token_in_any_output"]
    items[:] = [i for i in items if i not in last] + last


def pytest_sessionfinish(session, exitstatus):
    found = leaks()
    if found:
        print(f"\nAPI TOKEN LEAKED in: {', '.join(found)}", file=sys.stderr)
        session.exitstatus = 1


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """No test sees the developer's real credentials, and none writes to the real home."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.delenv("QC_MAGICS_CONFIG_DIR", raising=False)
    if os.environ.get("QC_LIVE") != "1":
        for var in ("QC_USER_ID", "QC_API_TOKEN", "QC_ORGANIZATION_ID", "QC_API_URL"):
            monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture
def emu():
    from qc_magics.emulator import Emulator
    with Emulator(api_token=SUITE_TOKEN, user_id="4242", seed=7, time_scale=0.02,
                  retry_after=0.01) as e:
        yield e


@pytest.fixture
def emu_env(emu, monkeypatch):
    """The emulator's credentials in the environment, as a user's shell would hold them, and its
    jobs fast: for faces that find credentials themselves (a Workspace, %qc, qc-magics)."""
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    emu.app.timing.scale = 0.02
    return emu


def make_client(emu, **kwargs):
    from qc_magics.api import QCClient, RetryPolicy, Timeouts
    kwargs.setdefault("retry", RetryPolicy(attempts=6, base=0.01, cap=0.05))
    kwargs.setdefault("timeouts", Timeouts(connect=2.0, read=10.0))
    return QCClient(**emu.client_kwargs(), **kwargs)


@pytest.fixture
def client(emu):
    c = make_client(emu)
    yield c
    c.close()


@pytest.fixture
def project(client):
    return client.create_project("Test Project")


class Clock:
    """A clock the test moves by hand, starting at the real time (the auth check reads it)."""

    def __init__(self):
        self.t = time.time()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def clock():
    return Clock()


def qc(ip, line, cell=None):
    """Run `%qc line` (or `%%qc line` with a cell) in the test shell and return its value."""
    if cell is None:
        return ip.run_line_magic("qc", line)
    return ip.run_cell_magic("qc", line, cell)


def wait_until(fn, timeout: float = 10.0, interval: float = 0.02):
    """Call fn until it returns something truthy; return that, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last value {value!r}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def ipshell():
    """The one test InteractiveShell of the run (IPython allows a single instance)."""
    from IPython.testing.globalipapp import start_ipython
    shell = start_ipython()
    if shell is None:   # already started by an earlier call: it is the global instance
        from IPython import get_ipython
        shell = get_ipython()
    return shell


@pytest.fixture(scope="module")
def shell(ipshell):
    """The test InteractiveShell with the extension loaded, for one module's tests."""
    ipshell.run_line_magic("load_ext", "qc_magics")
    yield ipshell
    ipshell.run_line_magic("unload_ext", "qc_magics")

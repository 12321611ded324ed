"""Live sync (`sync --watch`): the engine on a fake clock, then live against the emulator, through
every face, and killed half-way.

Requests are counted in the emulator's own log (as in test_sync_requests.py); an idle watch asks
only `projects/read` (the project's `modified` stamp), never a file.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import make_client, qc, wait_until
from qc_magics.sync import ProjectFolder, SyncReport
from qc_magics.sync.watch import Watcher
from qc_magics.workspace import Settings, Workspace


# --- the engine on a fake clock ------------------------------------------------------------------

class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class FakeCloud:
    """Scripted cloud: a stamp, and what each pull reports; pushes are recorded."""

    def __init__(self):
        self.stamp = "s0"
        self.calls: list[str] = []
        self.next_pull: list[tuple[str, str, str]] = []   # (name, action, state)
        self.push_action = ("pushed", "local-changed")

    def probe(self):
        self.calls.append("probe")
        return self.stamp

    def pull(self):
        self.calls.append("pull")
        report = SyncReport("pull")
        for name, action, state in self.next_pull:
            report.add(name, action, state, "detail")
        self.next_pull = []
        return report

    def push(self, name):
        self.calls.append(f"push {name}")
        report = SyncReport("push")
        report.add(name, *self.push_action)
        return report


def run(w: Watcher, clock: Clock, seconds: float) -> None:
    """Step the engine for `seconds` of fake time, waiting as it asks."""
    end = clock.t + seconds
    while clock.t < end:
        clock.t += max(w.step(), 0.01)


@pytest.fixture
def engine(tmp_path):
    clock, cloud, events = Clock(), FakeCloud(), []
    w = Watcher(tmp_path, 1, cloud, min_interval=2, max_interval=30, settle=0.5,
                full_every=300, clock=clock, wall=lambda: 0.0, on_event=events.append)
    return w, clock, cloud, events


def test_idle_the_engine_only_probes_at_growing_intervals(engine):
    w, clock, cloud, events = engine
    run(w, clock, 0.1)
    assert cloud.calls == ["probe", "pull"]            # the first check reads once
    cloud.calls.clear()
    run(w, clock, 120)
    # One confirming read a second after the first (the stamp has one-second resolution), then
    # probes only, at 2, 4, 8, 16, 30, 30... seconds.
    assert cloud.calls.count("pull") == 1
    probes = cloud.calls.count("probe")
    assert 5 <= probes <= 8, cloud.calls
    assert w.interval == 30


def test_a_moved_stamp_reads_and_activity_shortens_the_interval(engine):
    w, clock, cloud, events = engine
    run(w, clock, 100)
    assert w.interval == 30
    cloud.stamp = "s1"
    cloud.next_pull = [("main.py", "pulled", "cloud-changed")]
    cloud.calls.clear()
    while "pull" not in cloud.calls:
        clock.t += w.step()
    assert cloud.calls == ["probe", "pull"] and w.interval <= 2
    run(w, clock, 3)
    assert cloud.calls.count("pull") == 2               # the confirming read, a second later
    assert [e.kind for e in events if e.name == "main.py"] == ["pulled"]


def test_a_save_goes_out_once_it_holds_still(engine, tmp_path):
    w, clock, cloud, events = engine
    run(w, clock, 40)
    cloud.calls.clear()
    f = tmp_path / "main.py"
    f.write_text("half")
    w.step()
    clock.t += 0.3
    f.write_text("half and the rest\n")             # still being written: not yet
    os.utime(f, ns=(1, int(clock.t * 1e9)))
    w.step()
    assert not any(c.startswith("push") for c in cloud.calls)
    clock.t += 0.6
    w.step()                                         # same size and mtime a check later
    assert "push main.py" in cloud.calls
    cloud.calls.clear()
    run(w, clock, 5)
    assert not any(c.startswith("push") for c in cloud.calls)   # sent once, not again


def test_a_conflict_stops_that_file_until_settled(engine, tmp_path):
    w, clock, cloud, events = engine
    run(w, clock, 10)
    cloud.stamp = "s2"                                   # both sides change main.py
    cloud.push_action = ("refused", "conflict")
    cloud.next_pull = [("main.py", "conflict-copy", "conflict")]
    (tmp_path / "main.py").write_text("mine\n")
    run(w, clock, 3)
    assert cloud.calls.count("push main.py") == 1       # refused: the pull comes next
    assert "main.py" in w.status.conflicts and w.status.files["main.py"] == "conflict"
    assert [e.kind for e in events if e.name == "main.py"] == ["conflict"]
    cloud.calls.clear()
    (tmp_path / "main.py").write_text("mine, more\n")
    run(w, clock, 40)
    assert "push main.py" not in cloud.calls            # stopped until settled
    cloud.push_action = ("pushed", "local-changed")
    w.resume("main.py")
    run(w, clock, 2)
    assert "push main.py" in cloud.calls and not w.status.conflicts


def test_a_pull_waits_while_a_file_is_being_saved(engine, tmp_path):
    w, clock, cloud, events = engine
    run(w, clock, 40)
    cloud.stamp = "s3"
    cloud.calls.clear()
    f = tmp_path / "busy.py"
    for i in range(2):        # a save under way at each check
        f.write_text("x" * (i + 1))
        clock.t = w.next_check
        w.step()
    assert "pull" not in cloud.calls
    run(w, clock, 3)
    assert "pull" in cloud.calls


def test_a_save_during_the_probe_postpones_the_pull_which_still_comes(engine, tmp_path):
    w, clock, cloud, events = engine
    run(w, clock, 40)
    cloud.calls.clear()
    saved = []
    probe = cloud.probe

    def probe_while_saving():
        if not saved:                  # a save lands while the probe is in flight
            (tmp_path / "x.py").write_text("saving\n")
            saved.append(1)
        cloud.stamp = "s9"
        return probe()
    cloud.probe = probe_while_saving
    clock.t = w.next_check
    w.step()
    assert cloud.calls == ["probe"]                      # moved, but not decided on a save
    run(w, clock, 2)
    assert cloud.calls.count("pull") >= 1                # owed, so read once it held still


def test_a_failed_read_is_said_once_and_still_made(engine):
    from qc_magics.errors import TransportError
    w, clock, cloud, events = engine
    run(w, clock, 40)
    cloud.stamp = "s5"
    pull = cloud.pull
    failures = []

    def flaky():
        if len(failures) < 3:
            failures.append(1)
            raise TransportError("connection refused")
        return pull()
    cloud.pull = flaky
    run(w, clock, 120)
    assert [e.kind for e in events].count("error") == 1
    assert cloud.calls.count("pull") >= 2 and len(failures) == 3    # the owed read was made


# --- live, against the emulator ------------------------------------------------------------------

@pytest.fixture
def ws(emu_env, emu, tmp_path):
    folder = tmp_path / "proj"
    w = Workspace(Settings(folder=str(folder), progress="none", poll_interval=0.01),
                  client=make_client(emu), prog="%qc")
    pid = w.client.create_project("Live")["projectId"]
    w.pull(all=True, project=str(pid))
    yield w, pid, folder
    for key in list(w._watchers):
        w._watchers[key].stop()
    w.client.close()


def test_idle_minute_costs_only_small_probes(ws, emu):
    """The request count of an idle minute, measured: the engine on a fake clock against the
    emulator, so a minute takes no minute."""
    w, pid, folder = ws
    from qc_magics.workspace.watch import WorkspaceCloud
    clock = Clock()
    cloud = WorkspaceCloud(w, str(pid), str(folder), pid)
    watcher = Watcher(folder, pid, cloud, min_interval=2, max_interval=30, clock=clock,
                      settle=0.5)
    run(watcher, clock, 5)           # start: one read, and its confirming read
    emu.clear_log()
    run(watcher, clock, 60)          # an idle minute, just after activity
    first = [r["endpoint"] for r in emu.requests]
    emu.clear_log()
    run(watcher, clock, 60)          # a minute of a sync idle for long
    later = [r["endpoint"] for r in emu.requests]
    assert set(first) == set(later) == {"/projects/read"}
    # Checks 2, 4, 8, 16 and 30 s apart: 4 in the minute after activity, then 2 a minute.
    assert (len(first), len(later)) == (4, 2), (first, later)
    print(f"idle minute: {len(first)} requests just after activity, {len(later)} later, "
          f"all /projects/read")
    emu.clear_log()
    run(watcher, clock, 300)         # five more: one full read, in case the stamp missed one
    assert [r["endpoint"] for r in emu.requests].count("/files/read") == 1


def synced_equal(emu, pid, folder) -> bool:
    cloud = emu.cloud_files(pid)
    for name, text in cloud.items():
        path = folder / name
        if not path.is_file() or path.read_text() != text:
            return False
    return True


def test_live_sync_both_ways(ws, emu):
    w, pid, folder = ws
    events = []
    handle = w.watch(min_interval=0.2, max_interval=1.0, settle=0.1, on_event=events.append)
    (folder / "local.py").write_text("from_here = 1\n")
    wait_until(lambda: emu.cloud_files(pid).get("local.py") == "from_here = 1\n")
    emu.cloud_write(pid, "cloud.py", "from_there = 1\n")
    wait_until(lambda: (folder / "cloud.py").is_file()
               and (folder / "cloud.py").read_text() == "from_there = 1\n")
    emu.cloud_write(pid, "main.py", "cloud edit\n")
    wait_until(lambda: (folder / "main.py").read_text() == "cloud edit\n")
    status = handle.stop()
    assert not handle.running and status.conflicts == {}
    kinds = [(e.kind, e.name) for e in events]
    assert ("pushed", "local.py") in kinds and ("pulled", "cloud.py") in kinds
    assert kinds[0][0] == "started" and kinds[-1][0] == "stopped"
    assert w.watching() is None


def test_a_conflict_keeps_both_and_stops_that_file(ws, emu):
    w, pid, folder = ws
    events = []
    handle = w.watch(min_interval=0.2, max_interval=1.0, settle=0.1, on_event=events.append)
    wait_until(lambda: handle.status.reads >= 1)
    # Both sides change main.py between two checks.
    with handle._lock:
        emu.cloud_write(pid, "main.py", "cloud side\n")
        (folder / "main.py").write_text("local side\n")
    wait_until(lambda: "main.py" in handle.status.conflicts, timeout=10)
    assert (folder / "main.py").read_text() == "local side\n"
    assert (folder / "main.cloud.py").read_text() == "cloud side\n"
    assert emu.cloud_files(pid)["main.py"] == "cloud side\n"
    (folder / "main.py").write_text("local again\n")          # still stopped: not sent
    time.sleep(0.6)
    assert emu.cloud_files(pid)["main.py"] == "cloud side\n"
    # Settled by taking the cloud's side: the file syncs again.
    w.pull(["main.py"], force=True)
    wait_until(lambda: "main.py" not in handle.status.conflicts, timeout=10)
    (folder / "main.py").write_text("after settling\n")
    wait_until(lambda: emu.cloud_files(pid)["main.py"] == "after settling\n")
    handle.stop()
    assert [e.kind for e in events if e.name == "main.py"][:1] == ["conflict"]


def test_idle_live_sync_sends_only_probes_and_survives_notebook_saves(ws, emu):
    """Running for real: idle, it asks only projects/read; a notebook saved with new outputs
    (what a kernel run and Jupyter's save do) is not a change to send; a touch is not either."""
    w, pid, folder = ws
    events = []
    handle = w.watch(min_interval=0.2, max_interval=0.4, settle=0.1, on_event=events.append)
    wait_until(lambda: handle.status.reads >= 2)       # the first read and its confirmation
    time.sleep(0.3)
    emu.clear_log()
    nb_path = folder / "research.ipynb"
    nb = json.loads(nb_path.read_text())
    code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    code["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ran here\n"]}]
    code["execution_count"] = 7
    nb_path.write_text(json.dumps(nb, indent=1))
    os.utime(folder / "main.py")
    time.sleep(1.5)
    sent = [(r["endpoint"], sorted(r.get("fields", {}))) for r in emu.requests]
    handle.stop()
    assert {e for e, _ in sent} == {"/projects/read"}, sent
    assert all("content" not in fields for _, fields in sent)
    assert 3 <= len(sent) <= 10, sent
    assert [e.kind for e in events] == ["started", "stopped"]   # nothing to say either


def test_what_cannot_go_is_said_once_and_costs_nothing(ws, emu):
    w, pid, folder = ws
    events = []
    handle = w.watch(min_interval=0.2, max_interval=0.4, settle=0.1, on_event=events.append)
    wait_until(lambda: handle.status.reads >= 2)
    emu.clear_log()
    (folder / "research.ipynb").write_text("{ not a notebook")
    (folder / "data.py").write_bytes(b"\x00\xff\xfe binary")
    emu.cloud_write(pid, "main.py", None)
    wait_until(lambda: any(e.kind == "kept" and e.name == "main.py" for e in events))
    (folder / "main.py").write_text("edited here after its cloud copy was deleted\n")
    wait_until(lambda: handle.status.files.get("research.ipynb") == "refused"
               and handle.status.files.get("main.py") == "refused")
    time.sleep(1.0)
    handle.stop()
    said = [(e.kind, e.name) for e in events if e.kind not in ("started", "stopped")]
    for each in [("refused", "research.ipynb"), ("skipped", "data.py"), ("kept", "main.py"),
                 ("refused", "main.py")]:
        assert said.count(each) == 1, said
    assert [r for r in emu.requests if r["endpoint"] not in ("/projects/read", "/files/read")] \
        == []
    assert emu.cloud_files(pid)["research.ipynb"].startswith("{")


def test_one_live_sync_per_folder(ws, emu):
    w, pid, folder = ws
    handle = w.watch(min_interval=0.2, max_interval=1.0)
    from qc_magics.workspace import Refused
    with pytest.raises(Refused, match="already live-synced"):
        w.watch()
    assert w.stop_watching() is not None and not handle.running
    assert w.stop_watching() is None


@pytest.mark.parametrize("seed", [int(s) for s in os.environ.get("QC_WATCH_SEEDS", "1 2").split()])
def test_random_interleaved_edits_end_equal_with_nothing_lost(ws, emu, seed):
    """Local saves and cloud edits at random for a few seconds, each adding a line to what its
    side holds (as an editor would). Afterwards every file not stopped on a conflict is the same
    on both sides, and every line ever written is somewhere: a side, a conflict copy, a backup."""
    w, pid, folder = ws
    rng = random.Random(seed)
    names = ["a.py", "b.py", "c.py", "main.py"]
    events = []
    handle = w.watch(min_interval=0.1, max_interval=0.5, settle=0.05, on_event=events.append)
    lines: list[str] = []
    history: list[str] = []
    deadline = time.monotonic() + 3.0
    n = 0
    while time.monotonic() < deadline:
        n += 1
        name = rng.choice(names)
        line = f"edit_{n} = {n}  # {name}\n"
        lines.append(line)
        local_side = rng.random() < 0.5
        history.append(f"{time.strftime('%H:%M:%S')} {'local' if local_side else 'cloud'} "
                       f"{line.strip()}")
        if local_side:
            editor_save(folder / name, line)
        else:
            with emu.app.state.lock:   # the cloud editor's read and save are one step
                emu.cloud_write(pid, name, emu.cloud_files(pid).get(name, "") + line)
        time.sleep(rng.uniform(0.0, 0.3))
    wait_until(lambda: _settled(handle, emu, pid, folder), timeout=20)
    status = handle.stop()
    print(f"seed {seed}: {n} edits; {status.summary()}")
    cloud = emu.cloud_files(pid)
    for name in names:
        if name not in status.conflicts:
            assert cloud.get(name) == (folder / name).read_text(), name
    everywhere = "".join(cloud.values()) + "".join(
        p.read_text() for p in folder.rglob("*.py") if p.is_file())
    lost = [line for line in lines if line not in everywhere]
    assert lost == [], "\n".join([f"lost {lost}", status.summary()] + history +
                                  [str(e) for e in events])


def editor_save(path: Path, line: str) -> None:
    """Add a line as an editor does: read, change, save atomically; and, as JupyterLab and VS
    Code do, when the file changed on disk since it was read, load it again first rather than
    save over it (without that check an editor loses the other side's work with any sync)."""
    while True:
        seen = _identity(path)
        old = path.read_text() if path.is_file() else ""
        tmp = path.with_name(f".{path.name}.~save")
        tmp.write_text(old + line)
        if _identity(path) == seen:
            os.replace(tmp, path)
            return
        tmp.unlink()


def _identity(path: Path):
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _settled(handle, emu, pid, folder) -> bool:
    cloud = emu.cloud_files(pid)
    for name, text in cloud.items():
        if name in handle.status.conflicts:
            continue
        path = folder / name
        if not path.is_file() or path.read_text() != text:
            return False
    for path in folder.glob("*.py"):
        if path.name not in cloud and not path.name.endswith(".cloud.py"):
            return False
    return True


# --- faces ---------------------------------------------------------------------------------------

@pytest.fixture
def ip(shell, emu_env, emu, tmp_path):
    """The test shell on this test's emulator and folder (as test_magics.py sets it)."""
    magics = shell.magics_manager.registry["QCMagics"]
    magics.session.reset_client()
    for setting in (f"folder = {str(tmp_path)!r}", "progress = 'none'", "project = None"):
        shell.run_line_magic("config", f"QCMagics.{setting}")
    yield shell
    magics.workspace.stop_watching()
    magics.session.reset_client()


def test_magic_sync_watch_then_stop(ip, emu, tmp_path, capsys):
    from IPython.core.error import UsageError
    magics = ip.magics_manager.registry["QCMagics"]
    pid = magics.workspace.client.create_project("Magic Live")["projectId"]
    qc(ip, f"use {pid}")
    capsys.readouterr()
    out = qc(ip, "sync")                              # one round: pull, then push
    assert (tmp_path / "main.py").is_file() and "pulled" in str(out)
    qc(ip, "sync --watch --interval 0.2 --max-interval 1")
    assert "started: live sync of" in capsys.readouterr().out
    with pytest.raises(UsageError, match="already live-synced"):
        qc(ip, "sync --watch")
    (tmp_path / "new.py").write_text("x = 1\n")
    wait_until(lambda: emu.cloud_files(pid).get("new.py") == "x = 1\n")
    emu.cloud_write(pid, "main.py", "from the cloud\n")
    wait_until(lambda: (tmp_path / "main.py").read_text() == "from the cloud\n")
    qc(ip, "sync --stop")
    said = capsys.readouterr().out.splitlines()
    assert any("pushed new.py" in line for line in said)        # one line per event
    assert any("pulled main.py" in line for line in said)
    assert said[-1].startswith("live sync stopped: ")
    assert magics.workspace.watching() is None
    qc(ip, "sync --stop")
    assert "no live sync" in capsys.readouterr().out
    for line, message in [("sync --watch --stop", "give one of them"),
                          ("sync --interval 1", "go with --watch"),
                          ("sync --watch --interval 0", "more than 0")]:
        with pytest.raises(UsageError, match=message):
            qc(ip, line)
    with pytest.raises(UsageError, match="watch_interval must be"):
        magics.watch_interval = 0          # checked when set, as %config sets it


def test_panel_toggle_starts_and_stops_live_sync(emu_env, emu, tmp_path):
    from qc_magics.widgets.controller import PanelController, run_now
    ws = Workspace(Settings(folder=str(tmp_path), progress="none", poll_interval=0.01,
                            watch_interval=0.2, watch_max_interval=1.0),
                   client=make_client(emu), prog="%qc")
    pid = ws.client.create_project("Panel Live")["projectId"]
    c = PanelController(ws, str(pid), namespace={}, runner=run_now)
    c.connect()
    seen = []
    c.on_change(seen.append)
    c.live_sync(True)
    assert c.live is not None and c.live.running
    wait_until(lambda: any("pulled main.py" in line for line in c.log))
    assert "live sync" in c.status["files"]
    c.live_sync(False)
    assert c.live is None and ws.watching() is None
    assert "stopped" in c.status["files"] and "live" in seen
    ws.client.close()


def test_panel_shows_a_live_conflict_and_its_choices_resume_the_file(emu_env, emu, tmp_path):
    from qc_magics.widgets.controller import PanelController, run_now
    ws = Workspace(Settings(folder=str(tmp_path), progress="none", poll_interval=0.01,
                            watch_interval=0.2, watch_max_interval=0.5),
                   client=make_client(emu), prog="%qc")
    pid = ws.client.create_project("Panel Conflict")["projectId"]
    c = PanelController(ws, str(pid), namespace={}, runner=run_now)
    c.connect()
    c.live_sync(True)
    wait_until(lambda: c.live.status.reads >= 2)
    with c.live._lock:                        # both sides change between two checks
        emu.cloud_write(pid, "main.py", "cloud side\n")
        (tmp_path / "main.py").write_text("local side\n")
    wait_until(lambda: c.conflicts == ["main.py"])
    assert "files" in c.status_failed and "conflict main.py" in c.status["files"]
    c.resolve("main.py", "mine")               # Keep mine: pushed over the cloud, synced again
    assert emu.cloud_files(pid)["main.py"] == "local side\n"
    wait_until(lambda: "main.py" not in c.live.status.conflicts)
    (tmp_path / "main.py").write_text("and on it goes\n")
    wait_until(lambda: emu.cloud_files(pid)["main.py"] == "and on it goes\n")
    c.live_sync(False)
    ws.client.close()


def test_live_syncs_stop_at_exit(ws, emu):
    from qc_magics.workspace import watch
    w, pid, folder = ws
    handle = w.watch(min_interval=0.2, max_interval=0.4)
    assert handle.running
    watch._stop_all()                          # what atexit runs when the kernel shuts down
    assert not handle.running and w.watching() is None


def test_panel_has_a_live_sync_toggle(emu_env, emu, tmp_path):
    from qc_magics.widgets import Panel
    from qc_magics.widgets.controller import PanelController, run_now
    ws = Workspace(Settings(folder=str(tmp_path), progress="none", poll_interval=0.01,
                            watch_interval=0.2, watch_max_interval=1.0),
                   client=make_client(emu), prog="%qc")
    pid = ws.client.create_project("Panel Toggle")["projectId"]
    panel = Panel(ws, str(pid), namespace={},
                  controller=PanelController(ws, str(pid), namespace={}, runner=run_now))
    panel.live_toggle.value = True
    assert ws.watching() is not None
    panel.live_toggle.value = False
    assert ws.watching() is None
    ws.client.close()


# --- the shell, killed half-way -----------------------------------------------------------------

def test_cli_watch_killed_mid_activity_leaves_no_partial_file(emu_env, emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Killed")["projectId"]
    folder = tmp_path / "k"
    folder.mkdir()
    written: dict[str, set[str]] = {}
    big = "x = '" + "y" * 20000 + "'\n"   # big enough that writes take a moment
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qc_magics.cli", "sync", "--watch", "--project", str(pid),
         "--to", str(folder), "--interval", "0.1", "--max-interval", "0.3"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (folder / "main.py").is_file(), timeout=20)
        rng = random.Random(5)
        end = time.monotonic() + 2.5
        n = 0
        while time.monotonic() < end:
            n += 1
            cloud_side = rng.random() < 0.5   # each side its own files: both ways flow
            name = f"c{rng.randrange(3)}.py" if cloud_side else f"l{rng.randrange(6)}.py"
            text = f"# {n}\n{big}"
            written.setdefault(name, set()).add(text)
            if cloud_side:
                emu.cloud_write(pid, name, text)
            else:
                (folder / name).write_text(text)
            time.sleep(0.03)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        said = proc.stdout.read().splitlines()
    finally:
        if proc.poll() is None:
            proc.kill()
        client.close()
    # It was busy both ways when killed.
    assert any(" pushed " in line for line in said) and any(" pulled c" in line for line in said), said
    from qc_magics.sync.disk import TEMP_NAME
    for path in folder.rglob("*"):
        if not path.is_file() or ".qc-sync" in path.relative_to(folder).parts:
            continue
        if TEMP_NAME.match(path.name):
            continue    # ours, recognisable: the next run removes it (clean_leftovers)
        text = path.read_text()
        name = path.name.replace(".cloud", "")
        if name in written:
            assert text in written[name], f"{path.name} holds a partial write"
        elif path.suffix == ".ipynb":
            json.loads(text)
    for name, text in emu.cloud_files(pid).items():   # nothing half-sent either
        if name in written:
            assert text in written[name], f"cloud {name} holds a partial write"
    # The next run starts clean: leftovers removed, both sides comparable.
    ProjectFolder(make_client(emu), pid, folder, progress="none").pull(all=True)
    assert not [p for p in folder.rglob("*") if TEMP_NAME.match(p.name)]


def test_cli_watch_stops_on_ctrl_c(emu_env, emu, tmp_path):
    client = make_client(emu)
    pid = client.create_project("Interrupted")["projectId"]
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    proc = subprocess.Popen(
        [sys.executable, "-m", "qc_magics.cli", "sync", "--watch", "--project", str(pid),
         "--to", str(tmp_path), "--interval", "0.1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: (tmp_path / "main.py").is_file(), timeout=20)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
        client.close()
    assert proc.returncode == 0, err
    lines = out.splitlines()
    assert "started" in lines[0] and any("pulled main.py" in line for line in lines)
    assert "stopped" in lines[-1], (out, err)

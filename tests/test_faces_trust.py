"""Issue 10 through the faces: nothing charged without a yes, no number that never ends a wait,
one line for the user's mistakes, tracebacks for our bugs, and no raw control characters.

Each test here failed before its fix. The CLI runs in-process (`cli.main`) where a test needs to
patch the client, as a subprocess elsewhere.
"""
from __future__ import annotations

import base64
import os
import json
import math
import socket
import subprocess
import sys

import pytest
from IPython.core.error import UsageError

from conftest import SUITE_TOKEN, make_client, new_token
from qc_magics import cli, jobs
from qc_magics.api import QCClient
from qc_magics.errors import InvalidArgument, TransportError, WaitTimeout
from test_magics import ip, qc, shell  # noqa: F401  (fixtures)

FAST = dict(progress="none", poll=(0.01, 0.05))


@pytest.fixture
def shell_env(emu, tmp_path, monkeypatch):
    """`cli.main` in-process against the emulator, in a fresh folder."""
    emu.app.timing.scale = 0.02
    for key, value in {"QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
                       "QC_API_URL": emu.api_url,
                       "QC_MAGICS_CONFIG_DIR": str(tmp_path / "cfg")}.items():
        monkeypatch.setenv(key, value)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def main(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    assert "Traceback" not in out.err and SUITE_TOKEN not in out.out + out.err
    return code, out.out, out.err


def project(client, name="Trust"):
    return client.create_project(name)["projectId"]


# --- money ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("cost", ["nan", "NaN", "inf", "-inf", "-1", "1e999"])
def test_a_max_cost_that_is_not_a_finite_amount_starts_nothing(ip, emu, cost):
    qc(ip, "new Money")
    with pytest.raises(UsageError, match="argument --max-cost: give a finite amount of dollars"):
        qc(ip, f"optimize run --project Money --param a=1:3:1 --max-cost={cost}")
    assert emu.count("/optimizations/estimate") == 0 and emu.count("/compile/create") == 0


@pytest.mark.parametrize("cost", [math.nan, math.inf, -0.5, "1"])
def test_run_optimization_refuses_a_bad_max_cost_before_any_request(emu, cost):
    client = make_client(emu)
    pid = project(client)
    emu.clear_log()
    with pytest.raises(InvalidArgument, match="max_cost is a finite amount of dollars"):
        jobs.run_optimization(client, pid, [("a", 1, 3, 1)], max_cost=cost, **FAST)
    assert emu.requests == []


@pytest.mark.parametrize("param, message", [
    ("a=1:inf:1", "max must be a finite number"), ("a=nan:3:1", "min must be a finite number"),
    ("a=1:3:nan", "step must be a finite number"), ("a=1:3:0", "step must be positive"),
    ("a=1:3:-1", "step must be positive"), ("a=-inf:inf:1", "min must be a finite number"),
    ("a=0:1:1e-300", "more than 100,000 values"), ("a=-1e308:1e308:1", "more values than can"),
    ("a=3:1:1", "max 1.0 is below min 3.0"),
])
def test_parameter_ranges_are_checked_when_parsed(ip, emu, param, message):
    qc(ip, "new Ranges")
    emu.clear_log()
    with pytest.raises(UsageError) as e:
        qc(ip, f"optimize estimate --project Ranges --param {param}")
    assert "argument --param" in str(e.value) and message in str(e.value)
    assert "\n" not in str(e.value) and emu.requests == []


def test_a_constraint_value_must_be_finite(ip, emu):
    with pytest.raises(UsageError, match="must be a finite number"):
        qc(ip, "optimize estimate --project 1 --param a=1:3:1 --constraint 'drawdown <= nan'")
    assert emu.requests == []


def test_a_confirmed_run_never_costs_more_than_the_estimate_confirmed(ip, emu, monkeypatch):
    qc(ip, "new Rising")
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    original = QCClient.estimate_optimization
    calls = []

    def rising(self, *args, **kwargs):   # the second estimate (after the yes) is twice the first
        answer = dict(original(self, *args, **kwargs))
        calls.append(answer)
        answer["time"] = float(answer["time"]) * len(calls)
        return answer

    monkeypatch.setattr(QCClient, "estimate_optimization", rising)
    with pytest.raises(UsageError) as e:
        qc(ip, "optimize run --project Rising --param a=1:10:1")
    first = float(calls[0]["time"]) / 3600 * jobs.DEFAULT_PARALLEL_NODES * jobs.NODE_PRICES["O2-8"]
    assert f"the estimate rose to ${2 * first:.2f} from the ${first:.2f} you confirmed" \
        in str(e.value)
    assert "Nothing was started or charged" in str(e.value)
    assert emu.count("/optimizations/create") == 0 and emu.count("/compile/create") == 0


def test_one_default_for_parallel_nodes(ip, emu):
    import inspect
    qc(ip, "new Nodes")
    assert qc(ip, "optimize estimate --project Nodes --param a=1:3:1").parallel_nodes == \
        jobs.DEFAULT_PARALLEL_NODES
    for fn in (jobs.estimate_optimization, jobs.run_optimization):
        default = inspect.signature(fn).parameters["parallel_nodes"].default
        assert default == jobs.DEFAULT_PARALLEL_NODES
    from qc_magics.commands import usage   # the help says the same number
    assert f"(default {jobs.DEFAULT_PARALLEL_NODES};" in usage("optimize run", "%qc")


@pytest.mark.parametrize("line, message", [
    ("--node O8-16 --parallel 7", "O8-16 nodes run 1 to 6 in parallel"),
    ("--parallel 0", "argument --parallel: give a whole number of nodes from 1 to 24"),
    ("--parallel 25", "from 1 to 24"), ("--parallel 2.5", "from 1 to 24"),
])
def test_parallel_nodes_within_the_node_types_limit(ip, emu, line, message):
    qc(ip, "new Limits")
    emu.clear_log()
    with pytest.raises(UsageError, match=message):
        qc(ip, f"optimize estimate --project Limits --param a=1:3:1 {line}")
    assert emu.count("/optimizations/estimate") == 0


def test_an_estimate_without_a_number_of_seconds_is_never_priced(emu, monkeypatch):
    client = make_client(emu)
    pid = project(client)
    monkeypatch.setattr(QCClient, "estimate_optimization",
                        lambda self, *a, **k: {"time": "NaN", "balance": 10})
    with pytest.raises(Exception, match="is not a number of seconds"):
        jobs.run_optimization(client, pid, [("a", 1, 3, 1)], max_cost=100.0, **FAST)
    assert emu.count("/compile/create") == 0 and emu.count("/optimizations/create") == 0


# --- a create answered with a server error -------------------------------------------------------

def _acts_then_fails(monkeypatch, method: str, endpoint: str) -> None:
    """The service creates the thing, then the gateway answers 502 (api marks may_have_acted)."""
    original = getattr(QCClient, method)

    def acted(self, *args, **kwargs):
        original(self, *args, **kwargs)
        e = TransportError(f"{endpoint}: the service answered HTTP 502 Bad Gateway; try again "
                           "later.", endpoint=endpoint, status=502)
        e.may_have_acted = True
        raise e

    monkeypatch.setattr(QCClient, method, acted)


def test_a_502_on_creating_an_optimization_says_it_may_exist_and_how_to_look(ip, emu,
                                                                             monkeypatch):
    qc(ip, "new 'Behind 502'")
    _acts_then_fails(monkeypatch, "create_optimization", "/optimizations/create")
    with pytest.raises(UsageError) as e:
        qc(ip, "optimize run --project 'Behind 502' --param a=1:3:1 --yes")
    text = str(e.value)
    assert "the optimization may have been created anyway" in text
    assert "Check with %qc optimizations --project 'Behind 502' before running it again" in text
    assert "try again" not in text
    monkeypatch.undo()
    assert len(qc(ip, "optimizations --project 'Behind 502'")) == 1   # it did exist


def test_a_502_on_creating_a_backtest_in_the_shell_names_the_shell_command(shell_env, emu,
                                                                           capsys, monkeypatch):
    pid = project(make_client(emu), "Shell")
    _acts_then_fails(monkeypatch, "create_backtest", "/backtests/create")
    code, out, err = main(capsys, "backtest", "--project", str(pid))
    assert code == 1 and "the backtest may have been created anyway" in err
    assert f"Check with qc-magics backtests --project {pid} before running it again" in err
    assert "try again" not in err


def test_errors_not_marked_may_have_acted_are_unchanged(ip, emu):
    with pytest.raises(UsageError, match="project 'Nope' not found"):
        qc(ip, "backtest --project Nope")


# --- exit codes, waits, settings -----------------------------------------------------------------

@pytest.mark.parametrize("as_json", [False, True])
def test_push_with_refused_files_exits_1_and_still_prints_the_report(shell_env, emu, capsys,
                                                                     as_json):
    pid = project(make_client(emu), "Refusals")
    flag = ["--json"] if as_json else []
    assert main(capsys, "pull", "--all", "--project", str(pid))[0] == 0
    emu.cloud_write(pid, "main.py", "cloud = 1\n")
    (shell_env / "main.py").write_text("local = 1\n")
    code, out, err = main(capsys, "push", "main.py", "--project", str(pid), *flag)
    assert code == 1
    if as_json:
        assert json.loads(out)["actions"][0]["action"] == "refused"
    else:
        assert "refused" in out
    (shell_env / "main.py").write_text("cloud = 1\n")   # nothing refused: exit 0 again
    code, out, err = main(capsys, "pull", "main.py", "--project", str(pid), *flag)
    assert code == 0


def test_wait_timeout_0_checks_once(ip, emu, tmp_path):
    import nbformat
    qc(ip, "new Once")
    (tmp_path / "n.ipynb").write_text(nbformat.writes(nbformat.v4.new_notebook()))
    qc(ip, "push n.ipynb --project Once")
    emu.clear_log()
    with pytest.raises(UsageError, match="within 0s"):
        qc(ip, "wait n.ipynb --project Once --timeout 0")
    assert emu.count("/files/read") == 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "1e12", "soon"])
def test_wait_timeouts_that_never_end_are_usage_errors(ip, emu, value):
    with pytest.raises(UsageError, match="argument --timeout: give seconds from 0"):
        qc(ip, f"wait n.ipynb --project 1 --timeout={value}")
    assert emu.requests == []


@pytest.mark.parametrize("setting, value", [
    ("poll_interval", "0"), ("poll_interval", "-1"), ("poll_interval", "float('nan')"),
    ("timeout", "float('inf')"), ("timeout", "-5"), ("concurrency", "0"),
    ("concurrency", "10**6"), ("size_cap", "0"),
])
def test_settings_are_checked_when_set(ip, setting, value, caplog):
    magics = ip.magics_manager.registry["QCMagics"]
    before = getattr(magics, setting)
    try:
        ip.run_line_magic("config", f"QCMagics.{setting} = {value}")   # %config logs one line
    finally:   # %config also keeps the value in the shell's config: later magics would load it
        ip.config.QCMagics.pop(setting, None)
    assert f"QCMagics.{setting} must be" in caplog.text
    assert getattr(magics, setting) == before
    with pytest.raises(UsageError, match=f"QCMagics.{setting} must be"):   # and from Python
        setattr(magics, setting, eval(value))
    assert getattr(magics, setting) == before


def test_a_bad_poll_never_leaves_a_compile_behind(emu):
    client = make_client(emu)
    pid = project(client)
    for poll in [(-1, 5), (0, 0), (math.nan, 5), (5, 1)]:
        with pytest.raises(InvalidArgument, match="poll waits must be"):
            jobs.run_backtest(client, pid, progress="none", poll=poll)
        with pytest.raises(InvalidArgument):
            jobs.run_optimization(client, pid, [("a", 1, 2, 1)], confirm=True, poll=poll)
    with pytest.raises(InvalidArgument, match="timeout must be"):
        jobs.run_backtest(client, pid, progress="none", timeout=math.nan)
    assert emu.count("/compile/create") == 0


def test_timeout_0_in_the_python_api_checks_once(emu):
    client = make_client(emu)
    pid = project(client)
    emu.app.timing.scale = 1.0
    bt = jobs.run_backtest(client, pid, wait=False, progress="none")
    emu.clear_log()
    with pytest.raises(WaitTimeout, match="did not finish yet"):
        jobs.follow_backtest(bt, timeout=0)
    assert emu.count("/backtests/read") == 1


# --- compare, compile ----------------------------------------------------------------------------

def test_compare_with_unknown_ids_is_one_line_naming_them(ip, emu, shell_env, capsys):
    client = make_client(emu)
    pid = project(client, "Compare")
    known = jobs.run_backtest(client, pid, "known", **FAST).id
    with pytest.raises(UsageError) as e:
        qc(ip, f"compare {known} nope1 nope2 --project Compare")
    assert "no backtest nope1, nope2 in project Compare" in str(e.value)
    assert "%qc backtests --project Compare lists them" in str(e.value)
    code, out, err = main(capsys, "compare", known, "nope1", "--project", str(pid))
    assert code == 1 and out == ""
    assert err.strip() == (f"qc-magics: no backtest nope1 in project {pid}; qc-magics backtests "
                           f"--project {pid} lists them")
    code, out, err = main(capsys, "compare", known, "--project", str(pid))
    assert code == 0 and "Sharpe Ratio" in out and "known" in out and "Comparison(" not in out


def test_compile_gives_the_state_the_service_gave(ip, emu, monkeypatch):
    pid = qc(ip, "new Built")["projectId"]
    original = QCClient.read_compile
    seen = []

    def recorded(self, *args, **kwargs):
        seen.append(original(self, *args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(QCClient, "read_compile", recorded)
    result = qc(ip, "compile --project Built")
    assert result["state"] == seen[-1]["state"] and result["logs"] == seen[-1]["logs"]
    assert result["compileId"] == seen[-1]["compileId"] and result["projectId"] == pid


# --- one line for the user's mistakes, tracebacks for our bugs ----------------------------------

def test_pull_to_a_file_is_one_line(ip, emu, shell_env, capsys, tmp_path):
    qc(ip, "new Target")
    a_file = tmp_path / "a-file.txt"
    a_file.write_text("x")
    with pytest.raises(UsageError, match="a-file.txt is a file, not a folder.*give --to a folder"):
        qc(ip, f"pull --all --project Target --to {a_file}")
    code, out, err = main(capsys, "pull", "--all", "--project", "Target", "--to",
                          str(a_file / "sub"))
    assert code == 2 and "a-file.txt is a file, not a folder" in err
    assert a_file.read_text() == "x"


def test_the_folder_setting_must_be_a_folder(ip, emu, tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    magics = ip.magics_manager.registry["QCMagics"]
    with pytest.raises(UsageError, match="QCMagics.folder must be a folder"):
        magics.folder = str(a_file)
    later = tmp_path / "later"
    ip.run_line_magic("config", f"QCMagics.folder = {str(later)!r}")
    later.write_text("became a file")   # valid when set, a file by the time it is used
    qc(ip, "new Later")
    with pytest.raises(UsageError, match=r"is a file, not a folder.*%config QCMagics.folder"):
        qc(ip, "pull --all --project Later")


def test_emulator_host_that_does_not_resolve_names_the_host(capsys):
    code, out, err = main(capsys, "emulator", "--host", "nonexistent.invalid", "--port", "0")
    assert code == 1 and err.strip().endswith("; check --host")


def test_out_must_be_a_usable_variable_name(ip):
    with pytest.raises(UsageError, match="--out takes a Python variable name, not 'class'"):
        qc(ip, "projects --out class")


def test_emulator_port_out_of_range_or_taken_is_one_line(capsys):
    code, out, err = main(capsys, "emulator", "--port", "99999")
    assert code == 2 and err.strip() == ("qc-magics: emulator: argument --port: give "
                                         "a port from 0 (any free one) to 65535, not '99999'")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = main(capsys, "emulator", "--port", str(port))
    assert code == 1 and "cannot listen on" in err and "pick another --port" in err


def test_a_bug_below_the_magic_keeps_its_traceback(ip, monkeypatch):
    from qc_magics.commands import handlers

    def buggy(s, a, cell):
        raise ValueError("an internal bug")

    monkeypatch.setitem(handlers.HANDLERS, "projects", buggy)
    with pytest.raises(ValueError, match="an internal bug"):
        qc(ip, "projects")


def test_our_invalid_arguments_are_still_usage_errors(ip):
    with pytest.raises(UsageError, match="name the files to pull"):
        qc(ip, "pull --project 1")


# --- control characters from the cloud -----------------------------------------------------------

HOSTILE = "x\x1b[2J\x07\r\n\u202eyp.evil"


def test_cloud_names_with_control_characters_never_reach_the_terminal_raw(shell_env, emu, capsys):
    client = make_client(emu)
    pid = project(client, "Proj\x1b]0;pwned\x07")
    emu.cloud_write(pid, HOSTILE + ".py", "x = 1\n")
    jobs.run_backtest(client, pid, "bt\x1b[31m\u202ename", **FAST)
    for argv in (["projects"], ["files", "--project", str(pid)],
                 ["backtests", "--project", str(pid)], ["status", "--project", str(pid)]):
        code, out, err = main(capsys, *argv)
        assert code == 0, err
        for raw in ("\x1b", "\x07", "\r", "\u202e"):
            assert raw not in out + err, (argv, out)
    code, out, err = main(capsys, "files", "--project", str(pid))
    line = next(li for li in out.splitlines() if "evil" in li)
    assert r"x\x1b[2J\x07\r\n\u202eyp.evil.py" in line   # one line, every character shown


def test_service_errors_are_escaped_in_both_faces(ip, emu, shell_env, capsys, monkeypatch):
    from qc_magics.errors import ApiError

    def refused(self, *args, **kwargs):   # the service's own words, control characters and all
        raise ApiError("/files/read", ["File not found: x\x1b[2J\u202eyp.evil\x07"])

    monkeypatch.setattr(QCClient, "read_files", refused)
    pid = project(make_client(emu), "Errors")
    with pytest.raises(UsageError) as e:
        qc(ip, f"files --project {pid}")
    # The endpoint is for logs (the exception keeps it); a face says the service's words only.
    assert str(e.value) == r"File not found: x\x1b[2J\u202eyp.evil\x07"
    code, out, err = main(capsys, "files", "--project", str(pid))
    assert code == 1 and err == "qc-magics: File not found: " \
                                r"x\x1b[2J\u202eyp.evil\x07" + "\n"


# --- secrets with verbose tracebacks -------------------------------------------------------------

@pytest.fixture
def sent_headers(monkeypatch):
    """Every Authorization and Timestamp header sent, and its decoded signature."""
    from qc_magics.api import wire
    class Seen(list):
        interrupt = False

    seen = Seen()
    original = wire.Connection.putheader

    def recording(self, header, *values):
        if header == "Authorization":
            auth = str(values[0])
            seen.append(auth)
            if auth.startswith("Basic "):
                seen.append(auth[6:])
                seen.append(base64.b64decode(auth[6:]).decode().partition(":")[2])
            if seen.interrupt:
                raise KeyboardInterrupt   # Ctrl-C in the middle of the request
        return original(self, header, *values)

    monkeypatch.setattr(wire.Connection, "putheader", recording)
    return seen


def test_verbose_tracebacks_hold_no_token_or_signature(ip, emu, capsys, monkeypatch,
                                                       sent_headers):
    ip.run_line_magic("xmode", "Verbose")
    ip.run_line_magic("config", "QCMagics.show_tracebacks = True")
    try:
        wrong = new_token()
        monkeypatch.setenv("QC_API_TOKEN", wrong)
        ip.magics_manager.registry["QCMagics"].session.reset_client()
        ip.run_cell("%qc projects")                         # refused credentials
        monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
        ip.magics_manager.registry["QCMagics"].session.reset_client()
        sent_headers.interrupt = True
        ip.run_cell("%qc projects")                         # Ctrl-C mid-request
        sent_headers.interrupt = False
    finally:
        ip.run_line_magic("config", "QCMagics.show_tracebacks = False")
        ip.run_line_magic("xmode", "Context")
    shown = capsys.readouterr()
    text = shown.out + shown.err
    assert "AuthenticationError" in text and "KeyboardInterrupt" in text
    # Verbose mode really printed the frames' variables, down to the transport.
    assert "endpoint = '/projects/read'" in text and "self = QCClient(user_id='4242'" in text
    secrets = [s for s in sent_headers if s] + [wrong, SUITE_TOKEN, emu.api_token]
    assert len(sent_headers) >= 6
    leaked = [s for s in secrets if s in text]
    assert leaked == []


# --- found on the way ----------------------------------------------------------------------------

def test_a_wait_that_times_out_says_how_to_go_on(ip, emu):
    qc(ip, "new Later")
    emu.app.timing.scale = 1.0
    ip.run_line_magic("config", "QCMagics.timeout = 0")
    try:
        with pytest.raises(UsageError) as e:
            qc(ip, "backtest --project Later")
    finally:
        ip.run_line_magic("config", "QCMagics.timeout = None")
    (listed,) = qc(ip, "backtests --project Later").index
    assert f"Go on waiting with: %qc backtest read {listed} --wait" in str(e.value)


def test_ctrl_c_during_a_create_says_it_may_exist(ip, emu, monkeypatch):
    qc(ip, "new Interrupted")
    original = QCClient.create_optimization

    def interrupted(self, *args, **kwargs):
        original(self, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(QCClient, "create_optimization", interrupted)
    with pytest.raises(UsageError) as e:
        qc(ip, "optimize run --project Interrupted --param a=1:2:1 --yes")
    assert "interrupted (Ctrl-C) while the service was creating it, but the optimization may " \
           "have been created anyway" in str(e.value)
    assert "Check with %qc optimizations --project Interrupted" in str(e.value)


def test_a_backtest_parameter_json_cannot_carry_is_refused_before_the_compile(ip, emu):
    qc(ip, "new Params")
    with pytest.raises(UsageError, match="parameter x: the API takes finite numbers only"):
        qc(ip, "backtest --project Params --param x=1e999")
    assert emu.count("/compile/create") == 0


@pytest.fixture
def shell_run(emu, tmp_path):
    env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
           "QC_API_URL": emu.api_url, "QC_MAGICS_CONFIG_DIR": str(tmp_path / "cfg")}

    def run(*args, stdin=b"", **more):
        return subprocess.run([sys.executable, "-m", "qc_magics.cli", *args], input=stdin,
                              capture_output=True, env={**env, **more}, cwd=tmp_path,
                              timeout=120)
    return run


def test_write_with_binary_standard_input_is_one_line(shell_run):
    out = shell_run("write", "x.py", "--project", "1", stdin=b"\xff\xfe\x00binary")
    assert out.returncode == 2 and b"takes text (UTF-8)" in out.stderr
    assert b"Traceback" not in out.stderr


def test_a_broken_settings_file_or_an_ascii_terminal_is_no_traceback(shell_run, emu, tmp_path):
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "settings.json").write_text('[1, {"folder": 5}]')
    out = shell_run("files")
    assert out.returncode == 2 and b"no project chosen" in out.stderr
    (tmp_path / "cfg" / "settings.json").write_text('{"folder": 5, "project": true}')
    assert b"no project chosen" in shell_run("files").stderr
    pid = project(make_client(emu), "Caf\u00e9 \u65e5\u672c")
    out = shell_run("projects", PYTHONIOENCODING="ascii")
    assert out.returncode == 0 and b"Caf\\xe9 \\u65e5\\u672c" in out.stdout, out.stderr
    assert str(pid).encode() in out.stdout


def test_a_closed_pipe_stops_quietly(emu, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "qc_magics.cli", "help"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()   # the reader is gone before the command writes (`| head -0`)
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141 and b"Traceback" not in err


def test_a_usage_error_names_the_program_once(capsys):
    code, out, err = main(capsys, "wait", "x.ipynb", "--project", "1", "--timeout", "nan")
    assert code == 2 and err.strip() == ("qc-magics wait: argument --timeout: give seconds from "
                                         "0 (check once) to 604800, not 'nan'")

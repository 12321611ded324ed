"""`backtest logs` and `store ls|get|put|rm` from %qc and qc-magics, against the emulator: values,
dtypes, one-line errors, exit codes, questions before a delete, files written atomically."""
from __future__ import annotations

import os
import subprocess
import sys

import pandas as pd
import pytest
from IPython.core.error import UsageError

from conftest import SUITE_TOKEN, qc


@pytest.fixture
def ip(shell, emu, tmp_path, monkeypatch):
    for name, value in (("QC_USER_ID", emu.user_id), ("QC_API_TOKEN", emu.api_token),
                        ("QC_API_URL", emu.api_url)):
        monkeypatch.setenv(name, value)   # no organization: the account's is the default
    magics = shell.magics_manager.registry["QCMagics"]
    magics.session.reset_client()
    shell.run_line_magic("config", f"QCMagics.folder = {str(tmp_path)!r}")
    shell.run_line_magic("config", "QCMagics.progress = 'none'")
    shell.run_line_magic("config", "QCMagics.poll_interval = 0.01")
    shell.run_line_magic("config", "QCMagics.project = None")
    emu.app.timing.scale = 0.02
    yield shell
    magics.session.reset_client()




# --- backtest logs -----------------------------------------------------------------------------

@pytest.fixture
def backtest(ip):
    qc(ip, "new Logs")
    qc(ip, "use Logs")
    return qc(ip, "backtest --name logged")


def test_backtest_logs_is_the_frame_filtered_extracted_and_cut(ip, backtest):
    every = qc(ip, f"backtest logs {backtest.id}")
    assert list(every.columns) == ["time", "message"]
    assert str(every["time"].dtype) == "datetime64[ns, UTC]" and len(every) > 20
    assert every.equals(backtest.logs_frame())      # the face adds nothing to the values

    assert qc(ip, f"backtest logs {backtest.id} --tail 3")["message"].tolist() == \
        every["message"].tolist()[-3:]
    some = qc(ip, f"backtest logs {backtest.id} --query PRICE")
    assert len(some) and some["message"].str.contains("price", case=False).all()
    assert len(some) < len(every)

    metrics = qc(ip, f"backtest logs {backtest.id} --pattern "
                     r"'(?P<symbol>[A-Z]+) price (?P<price>\S+) holding (?P<holding>-?\d+)'")
    assert list(metrics.columns) == ["time", "symbol", "price", "holding"]
    assert (metrics["price"].dtype, metrics["holding"].dtype) == ("float64", "int64")

    assert qc(ip, f"backtest logs {backtest.id} --tail 2 --out lines") is None
    assert len(ip.user_ns["lines"]) == 2


def test_backtest_logs_mistakes_are_one_line(ip, backtest, emu):
    before = emu.count("/backtests/read/log")
    with pytest.raises(UsageError, match=r"invalid log pattern '\(\?P<x'"):
        qc(ip, f"backtest logs {backtest.id} --pattern '(?P<x'")
    with pytest.raises(UsageError, match="has no named group"):
        qc(ip, f"backtest logs {backtest.id} --pattern 'price'")
    with pytest.raises(UsageError, match=r"no backtest nope in project \d+; %qc backtests "
                                         r"--project \d+ lists"):
        qc(ip, "backtest logs nope")
    with pytest.raises(UsageError, match="--tail: give a whole number of lines, 1 or more"):
        qc(ip, f"backtest logs {backtest.id} --tail 0")
    assert emu.count("/backtests/read/log") == before   # refused before reading any window


# --- store -------------------------------------------------------------------------------------

def test_store_put_ls_get_rm_from_the_notebook(ip, emu, tmp_path):
    folds = pd.DataFrame({"fold": [1, 2, 3], "sharpe": [1.21, 0.8, -0.1]})
    ip.user_ns["folds"] = folds
    assert qc(ip, "store put results/folds.csv --from folds") is None   # the message is printed
    qc(ip, "store put results/meta.json", '{"folds": 3, "target": "sharpe"}\n')   # %%qc: the cell
    source = tmp_path / "notes.txt"
    source.write_bytes(b"raw \x00 bytes")
    qc(ip, f"store put notes.bin {source}")

    top = qc(ip, "store ls")
    assert top.index.tolist() == ["results", "notes.bin"]            # folders first
    assert top.loc["results", "folder"] and top.loc["notes.bin", "size"] == 11
    assert str(top["modified"].dtype) == "datetime64[ns, UTC]"
    assert qc(ip, "store ls results").index.tolist() == ["results/folds.csv",
                                                         "results/meta.json"]

    assert qc(ip, "store get results/folds.csv --out back") is None
    pd.testing.assert_frame_equal(ip.user_ns["back"], folds)
    assert qc(ip, "store get results/meta.json") == {"folds": 3, "target": "sharpe"}
    assert qc(ip, "store get notes.bin") == b"raw \x00 bytes"

    with pytest.raises(UsageError, match="cannot ask for confirmation here; add --yes"):
        qc(ip, "store rm notes.bin")
    assert "notes.bin" in qc(ip, "store ls").index
    qc(ip, "store rm notes.bin --yes")
    assert "notes.bin" not in qc(ip, "store ls").index


def test_store_get_to_a_file_is_atomic_and_never_overwrites_unasked(ip, tmp_path):
    qc(ip, "store put a.csv", "x,y\n1,2\n")
    target = tmp_path / "out" / "a.csv"
    qc(ip, f"store get a.csv --to {target}")
    assert target.read_bytes() == b"x,y\n1,2\n"
    qc(ip, "store put a.csv", "x,y\n3,4\n")
    with pytest.raises(UsageError, match="exists; add --force to replace it"):
        qc(ip, f"store get a.csv --to {target}")
    assert target.read_bytes() == b"x,y\n1,2\n"
    qc(ip, f"store get a.csv --to {target} --force")
    assert target.read_bytes() == b"x,y\n3,4\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.csv"]   # no temp file left behind


def test_store_mistakes_are_one_line(ip, emu):
    qc(ip, "store put model.pkl", "not really a pickle")
    gets = emu.count("/object/get")
    with pytest.raises(UsageError, match="is a pickle, .* add --allow-pickle"):
        qc(ip, "store get model.pkl")
    assert emu.count("/object/get") == gets            # refused before any download
    with pytest.raises(UsageError, match="does not hold pickle that can be read .* --to FILE"):
        qc(ip, "store get model.pkl --allow-pickle")
    with pytest.raises(UsageError, match="Object Store key not found: missing.csv"):
        qc(ip, "store get missing.csv")
    with pytest.raises(UsageError, match="Object Store key not found"):
        qc(ip, "store rm missing.csv --yes")
    with pytest.raises(UsageError, match="--from nothing: no variable 'nothing'"):
        qc(ip, "store put x.csv --from nothing")
    with pytest.raises(UsageError, match="takes one source .*got none"):
        qc(ip, "store put x.csv")
    ip.user_ns["thing"] = object()
    with pytest.raises(UsageError, match="cannot store a object as 'x.csv': give a DataFrame"):
        qc(ip, "store put x.csv --from thing")
    with pytest.raises(UsageError, match="ends with '/'"):
        qc(ip, "store get results/")
    with pytest.raises(UsageError, match="%qc store needs one of: ls, get, put, rm"):
        qc(ip, "store")
    with pytest.raises(UsageError, match="%%qc is for `%%qc write NAME` and `%%qc store put"):
        qc(ip, "store ls", "body")
    with pytest.raises(UsageError, match="Organization not found: 999"):
        qc(ip, "store ls --organization 999")


def test_help_lists_the_store(ip, capsys):
    qc(ip, "help store")
    text = capsys.readouterr().out
    assert all(f"usage: %qc store {sub}" in text for sub in ("ls", "get", "put", "rm"))
    qc(ip, "help")
    text = capsys.readouterr().out
    assert "store get" in text and "backtest logs" in text


# --- the shell ---------------------------------------------------------------------------------

@pytest.fixture
def run(emu, tmp_path):
    emu.app.timing.scale = 0.02
    env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
           "QC_API_URL": emu.api_url, "QC_MAGICS_CONFIG_DIR": str(tmp_path / "cfg")}

    def qc_cli(*args, stdin: bytes | None = None):
        out = subprocess.run([sys.executable, "-m", "qc_magics.cli", *args], capture_output=True,
                             env=env, cwd=tmp_path, input=stdin if stdin is not None else b"",
                             timeout=120)
        text, err = out.stdout.decode(), out.stderr.decode()
        assert SUITE_TOKEN not in text + err
        return out.returncode, text, err
    qc_cli.work = tmp_path
    return qc_cli


def test_cli_backtest_logs_prints_the_last_lines_escaped(run, emu):
    from conftest import make_client
    from qc_magics.jobs import run_backtest
    with make_client(emu) as c:
        pid = c.create_project("Shell Logs")["projectId"]
        bt = run_backtest(c, pid, "one", progress="none", poll=(0.01, 0.05))
        every = bt.logs_frame()
    code, out, err = run("backtest", "logs", bt.id, "--project", str(pid))
    lines = out.splitlines()
    assert code == 0 and lines[0] == f"(the last 20 of {len(every)} lines; --tail N for more, " \
                                      "--json for all)"
    assert lines[-1].endswith(every["message"].iloc[-1]) and len(lines) == 21
    code, out, err = run("backtest", "logs", bt.id, "--project", str(pid), "--tail", "5")
    assert code == 0 and len(out.splitlines()) == 5
    assert out.splitlines()[0][:19] == every["time"].iloc[-5].strftime("%Y-%m-%d %H:%M:%S")
    code, out, err = run("backtest", "logs", bt.id, "--project", str(pid), "--json")
    import json
    assert code == 0 and len(json.loads(out)) == len(every)
    code, out, err = run("backtest", "logs", bt.id, "--project", str(pid), "--pattern", "(?P<x")
    assert code == 2 and err.startswith("qc-magics: invalid log pattern") and len(
        err.splitlines()) == 1
    code, out, err = run("backtest", "logs", "nope", "--project", str(pid))
    assert code == 1 and "no backtest nope" in err and len(err.splitlines()) == 1


def test_cli_log_lines_are_escaped():
    from qc_magics.commands.render import as_text
    from qc_magics.results.logs import logs_frame
    frame = logs_frame(["2024-01-02 10:00:00 evil\x1b[2J\rline"])
    frame.attrs.update({"qc_magics.view": "log", "qc_magics.tail": None})
    assert as_text(frame) == "2024-01-02 15:00:00  evil\\x1b[2J\\rline"


def test_cli_store_round_trip_and_exit_codes(run, emu):
    import json
    (run.work / "f.csv").write_bytes(b"a,b\n1,2\n")
    assert run("store", "put", "r/f.csv", "f.csv")[:2] == (0, "stored r/f.csv (8 bytes)\n")
    code, out, err = run("store", "put", "r/g.json", stdin=b'[{"a": 1}, {"a": 2}]')
    assert code == 0 and "stored r/g.json" in out
    code, out, err = run("store", "ls", "r")
    assert code == 0 and "r/f.csv" in out and "r/g.json" in out and "text/csv" in out
    code, out, err = run("store", "get", "r/g.json")
    assert code == 0 and out.split() == ["a", "1", "2"]     # no pandas row numbers
    assert "preparing" in err                     # the bar while the job was not ready
    run("store", "put", "r/cfg.json", stdin=b'{"a": 1, "b": [1, 2], "c": {"d": "x"}}')
    code, out, err = run("store", "get", "r/cfg.json")   # JSON as JSON, not a dict's table
    assert code == 0 and json.loads(out) == {"a": 1, "b": [1, 2], "c": {"d": "x"}}
    code, out, err = run("store", "get", "r/f.csv", "--to", "copy.csv")
    assert code == 0 and (run.work / "copy.csv").read_bytes() == b"a,b\n1,2\n"
    code, out, err = run("store", "get", "r/f.csv", "--to", "copy.csv")
    assert code == 2 and "copy.csv exists; add --force" in err
    code, out, err = run("store", "rm", "r/f.csv")
    assert code == 2 and "r/f.csv (8 bytes" in err and "add --yes" in err
    assert run("store", "rm", "r/f.csv", "--yes")[:2] == (0, "deleted r/f.csv\n")
    code, out, err = run("store", "get", "r/f.csv")
    assert code == 1 and "Object Store key not found: r/f.csv" in err
    code, out, err = run("store", "put", "x.csv", "--from", "frame")
    assert code == 2 and "--from takes a notebook variable" in err
    code, out, err = run("store", "put", "x.csv", "nothere.csv")
    assert code == 1 and "nothere.csv" in err and "Traceback" not in err


def test_a_download_job_not_ready_in_time_names_the_job_and_the_retry(ip, emu):
    qc(ip, "store put slow.json", "[1, 2]")
    emu.app.object_store.ready_after_reads = 10_000
    ip.run_line_magic("config", "QCMagics.timeout = 0.05")
    try:
        with pytest.raises(UsageError, match=r"download job \w+ had no URL after 0.05s; .*or run "
                                             r"%qc store get slow.json again"):
            qc(ip, "store get slow.json")
    finally:
        ip.run_line_magic("config", "QCMagics.timeout = None")
    emu.app.object_store.ready_after_reads = 2
    assert qc(ip, "store get slow.json") == [1, 2]    # two "not ready" answers, then the value


def test_cli_store_put_with_an_empty_stdin_stores_nothing(run, emu):
    assert run("store", "put", "keep.txt", stdin=b"precious")[0] == 0
    code, out, err = run("store", "put", "keep.txt", stdin=b"")
    assert code == 2 and "standard input is empty; nothing was stored" in err
    code, out, err = run("store", "get", "keep.txt", "--to", "back.txt")
    assert (run.work / "back.txt").read_bytes() == b"precious"     # the value is still there


def test_cli_ctrl_c_in_a_download_wait_exits_130_and_names_the_job(run, emu):
    import signal
    import time
    assert run("store", "put", "slow.json", stdin=b"[1]")[0] == 0
    emu.app.object_store.ready_after_reads = 10_000
    env = {**os.environ, "QC_USER_ID": emu.user_id, "QC_API_TOKEN": emu.api_token,
           "QC_API_URL": emu.api_url, "QC_MAGICS_CONFIG_DIR": str(run.work / "cfg")}
    before = len(emu.requests)
    proc = subprocess.Popen([sys.executable, "-m", "qc_magics.cli", "store", "get", "slow.json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            cwd=run.work)
    deadline = time.monotonic() + 60
    while len(emu.requests) - before < 3 and time.monotonic() < deadline:   # it is waiting
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert "Traceback" not in err.decode()


def test_emulator_refuses_a_state_dir_that_is_a_file(tmp_path, capsys):
    from qc_magics.cli import main
    (tmp_path / "state").write_text("not a folder")
    assert main(["emulator", "--state-dir", str(tmp_path / "state"), "--port", "0"]) == 2
    assert "--state-dir" in capsys.readouterr().err and (tmp_path / "state").read_text() == \
        "not a folder"

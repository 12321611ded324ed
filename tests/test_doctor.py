"""`qc-magics doctor` / `%qc doctor`: clean against the emulator, each divergence named when the
emulator answers in a wrong shape, real variants accepted, only reads sent, and a report that
holds no secret and no content."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import make_client, new_token
from qc_magics.api import ParameterRange
from qc_magics.doctor import probe, shapes, write_report
from qc_magics.doctor.checks import ReadOnlyViolation, Recorder
from qc_magics.doctor.shapes import READS
from qc_magics.emulator import Emulator
from qc_magics.emulator.shapes import clear, drop_field, map_field, reshape, set_field
from qc_magics.jobs import run_backtest, run_optimization

TOKEN = new_token()
PROJECT_NAME = "Zebra Confidential Strategy"
MARKER = "zebra_marker_5150"   # a line of the algorithm that must never reach a report
ALGORITHM = f'''# {MARKER}
from AlgorithmImports import *

class Zebra(QCAlgorithm):
    def initialize(self):
        self.set_cash(100000)
        self.fast = int(self.get_parameter("ema_fast", 10))
'''
FAST = (0.01, 0.05)


@pytest.fixture(scope="module")
def account():
    """An emulated account with a project holding a finished backtest and an optimization."""
    with Emulator(api_token=TOKEN, user_id="4242", seed=11, time_scale=0.02) as emu:
        client = make_client(emu)
        project = client.create_project(PROJECT_NAME)
        pid = project["projectId"]
        client.update_file(pid, "main.py", ALGORITHM)
        bt = run_backtest(client, pid, "Zebra run", {"ema_fast": 12}, progress="none", poll=FAST)
        opt = run_optimization(client, pid, [ParameterRange("ema_fast", 5, 15, 5)],
                               confirm=True, parallel_nodes=2, progress="none", poll=FAST)
        yield emu, client, {"project": project, "backtest": bt.data, "optimization": opt.id}
        client.close()


@pytest.fixture
def emu(account):
    emu = account[0]
    emu.clear_log()
    yield emu
    clear(emu.app)


def diagnose(account, **kwargs):
    return probe(account[1], wait=5.0, poll=FAST, **kwargs)


# --- a clean account -----------------------------------------------------------------------------

def test_clean_against_the_emulator_and_only_reads_are_sent(account, emu):
    result = diagnose(account)
    assert result.exit_code == 0, result.text()
    names = [c.name for c in result.checks]
    for expected in ("authenticate", "projects/read", "files/read", "backtests/list",
                     "backtests/read", "backtests/chart/read Strategy Equity",
                     "backtests/orders/read", "backtests/read/insights", "backtests/read/report",
                     "optimizations/list", "optimizations/read"):
        assert expected in names
    assert all(c.status == "ok" for c in result.checks), result.text()
    sent = {r["endpoint"] for r in emu.requests}
    assert sent <= READS and "/backtests/read/report" in sent
    assert not any(w in e for e in sent for w in ("create", "update", "delete", "abort"))
    lines = result.text(ascii_only=True).splitlines()
    assert lines[0] == "ok   authenticate"
    assert re.match(r"\d+ passed, 0 failed, 0 skipped against http://", lines[-1])


def test_the_recorder_refuses_a_write_before_sending_it(account, emu):
    client = account[1]
    with Recorder(client), pytest.raises(ReadOnlyViolation, match="only reads"):
        client.create_project("Should not exist")
    assert emu.requests == []
    assert "post" not in vars(client.transport)   # the client is itself again


# --- divergences ---------------------------------------------------------------------------------

WRONG = [
    ("/backtests/read", [set_field("backtest.statistics", "oops")], "backtests/read",
     "backtest.statistics: expected object or [], got string"),
    ("/files/read", [drop_field("files")], "files/read", "files: missing"),
    ("/projects/read", [set_field("projects.*.created", "03/01/2024 10:00:00")], "projects/read",
     "projects[0].created: expected a date as 'yyyy-MM-dd HH:mm:ss' or ISO 8601, got a string "
     "like '9/9/9 9:9:9'"),
    ("/backtests/read", [set_field("backtest.error", 0)], "backtests/read",
     "backtest.error: expected string or null, got integer"),
    ("/backtests/read", [drop_field("backtest.totalPerformance.closedTrades.*.symbol"),
                         drop_field("backtest.totalPerformance.closedTrades.*.symbols")],
     "backtests/read", "backtest.totalPerformance.closedTrades[0]: missing all of symbols, symbol"),
    ("/backtests/list", [set_field("backtests.*.parameterSet", "ema_fast=12")], "backtests/list",
     "backtests[0].parameterSet: expected object or [], got string"),
    ("/backtests/chart/read", [set_field("chart.series.*.values", [[1, 2, 3]])],
     "backtests/chart/read Strategy Equity",
     "chart.series.Equity.values[0]: expected [t, v] or [t, o, h, l, c], got a list of 3"),
    ("/backtests/orders/read", [drop_field("length")], "backtests/orders/read", "length: missing"),
    ("/backtests/orders/read", [set_field("orders.*.events.*.time", "yesterday")],
     "backtests/orders/read", "orders[0].events[0].time: expected number, got string"),
    ("/backtests/read/report", [set_field("report", 5)], "backtests/read/report",
     "report: expected string, got integer"),
    ("/optimizations/read", [set_field("optimization.backtests.*.statistics", "1,2,3")],
     "optimizations/read",
     'optimization.backtests.*.statistics: expected list or object keyed "0".."24", got string'),
    ("/optimizations/read", [set_field("optimization.backtests.*.equity", [[1, 2, 3]])],
     "optimizations/read",
     "optimization.backtests.*.equity[0]: expected [t, v] or [t, o, h, l, c], got a list of 3"),
    ("/account/read", [drop_field("organizationId")], "account/read", "organizationId: missing"),
    ("/backtests/read", [set_field("backtest.charts", {"Benchmark": {"name": "Benchmark"}})],
     "backtests/chart/read", "backtest.charts: no 'Strategy Equity' chart"),
]


@pytest.mark.parametrize("endpoint,changes,check,problem", WRONG,
                         ids=[f"{w[0]}:{w[3][:30]}" for w in WRONG])
def test_each_divergence_is_named(account, emu, endpoint, changes, check, problem):
    for change in changes:
        reshape(emu.app, endpoint, change)
    result = diagnose(account)
    assert result.exit_code == 1
    failed = {c.name: c for c in result.failed}
    # Only that endpoint's check fails (every chart, when charts are reshaped).
    assert check in failed and {n.split()[0] for n in failed} == {check.split()[0]}, result.text()
    # The probe goes on past a divergence: the rest of the account is still checked.
    assert result.count("skip") == 0 and result.count("ok") >= 11, result.text()
    assert problem in failed[check].problems, failed[check].problems
    assert f"✗ {check}: {problem}" in result.text()
    assert f"FAIL {check}: {problem}" in result.text(ascii_only=True)


def _other_trade_form(trade: dict) -> dict:
    """A closed trade in the form the emulator does not send: `symbols` (Lean since 2026-01)
    becomes the older `symbol` object, and the other way round."""
    rest = {k: v for k, v in trade.items() if k not in ("symbol", "symbols", "id", "isWin",
                                                         "orderIds")}
    if "symbols" in trade:
        return {**rest, "symbol": trade["symbols"][0]}
    return {**rest, "symbols": [trade["symbol"]], "id": 1, "isWin": True, "orderIds": [1, 2]}


# The real service's documented variants (REAL-SERVICE.md) are not divergences.
VARIANTS = [
    ("/backtests/read", set_field("backtest.error", None)),
    ("/backtests/read", set_field("backtest.stacktrace", None)),
    ("/backtests/read", set_field("backtest.created", "2024-03-01T14:05:09Z")),
    ("/backtests/read", set_field("backtest.parameterSet", {"a": 0, "b": 0.0, "c": "foo"})),
    ("/backtests/read", set_field("backtest.totalPerformance.portfolioStatistics.sharpeRatio",
                                  "2.7145")),
    ("/backtests/read", map_field("backtest.totalPerformance.closedTrades", lambda trades: [
        _other_trade_form(t) for t in trades])),
    ("/backtests/read", set_field("backtest.runtimeStatistics.Equity", "$-1,234.56")),
    ("/backtests/orders/read", drop_field("orders.*.events.*.orderFeeAmount")),
    ("/backtests/orders/read", set_field("orders.*.events.*.message", None)),
    ("/projects/read", set_field("projects.*.modified", "2024-03-01T14:05:09.123+00:00")),
    ("/optimizations/read", map_field("optimization.backtests.*.statistics", lambda s: {
        **{str(i): v for i, v in enumerate(s)}, "My Custom Statistic": 1.5})),
    ("/optimizations/read", map_field("optimization.backtests.*.equity", lambda rows: [
        [r[0], r[1], r[1], r[1], r[1]] for r in rows])),
    ("/optimizations/read", set_field("optimization.runtimeStatistics", [])),
    ("/account/read", set_field("card", None)),
    ("/backtests/read", set_field("backtest.runtimeStatistics", None)),
    ("/projects/read", set_field("projects.*.language", "F#")),
    ("/optimizations/read", drop_field("optimization.backtests")),
    ("/backtests/chart/read", set_field("chart.series.*.values", [{"x": 1700000000, "y": 1.5}])),
]


@pytest.mark.parametrize("endpoint,change", VARIANTS, ids=[f"{v[0]}-{i}" for i, v in
                                                           enumerate(VARIANTS)])
def test_real_service_variants_pass(account, emu, endpoint, change):
    reshape(emu.app, endpoint, change)
    result = diagnose(account)
    assert result.exit_code == 0, result.text()


def test_statistics_as_an_empty_list_is_a_backtest_not_finished(account, emu):
    reshape(emu.app, "/backtests/read", set_field("backtest.statistics", []))
    result = diagnose(account)
    assert result.exit_code == 0, result.text()
    skipped = [c for c in result.checks if c.status == "skip"]
    assert {c.name for c in skipped} == {"backtests/chart/read", "backtests/orders/read",
                                         "backtests/read/insights", "backtests/read/report"}


def test_optimization_without_backtests_as_an_empty_list(account, emu):
    reshape(emu.app, "/optimizations/read", set_field("optimization.backtests", []))
    assert diagnose(account).exit_code == 0


def test_a_backtest_that_failed_is_read_but_its_results_skipped(account, emu):
    reshape(emu.app, "/backtests/read", set_field("backtest.error", "Runtime Error: boom"))
    result = diagnose(account)
    assert result.exit_code == 0
    assert "- backtests/read/report: skipped: backtest 'Zebra run' ended with an error" \
        in result.text()


def test_an_answer_the_client_chokes_on_is_a_finding_not_a_crash(account, emu):
    reshape(emu.app, "/backtests/read", set_field("backtest", "not an object"))
    result = diagnose(account)
    check = {c.name: c for c in result.failed}["backtests/read"]
    # How the answer differs first; then whether the client took it or refused it.
    assert check.problems[0] == "backtest: expected object, got string"
    assert check.problems[1:] in ([], ["qc_magics refused the answer (MalformedResponse)"])
    assert "- backtests/read/report: skipped: the backtest could not be read" in result.text()
    reshape(emu.app, "/projects/read", set_field("projects", "abc"))
    result = diagnose(account)
    assert [c.name for c in result.failed] == ["projects/read"]
    assert "- files/read: skipped: no project in the account" in result.text()


def test_many_problems_are_cut_on_screen_not_in_the_report(account, emu):
    wrong = {"projectId": "x", "name": 1, "modified": 2, "created": 3, "language": 4,
             "organizationId": 5, "ownerId": "y"}
    reshape(emu.app, "/projects/read", set_field("projects.*", wrong))
    result = diagnose(account)
    check = result.failed[0]
    assert check.name == "projects/read" and len(check.problems) == 7
    assert "... and 2 more (--report FILE has them all)" in result.text()


@pytest.mark.parametrize("language,names,main,research", [
    ("C#", ["Main.cs", "Research.ipynb"], "Main.cs", "Research.ipynb"),   # what QuantConnect makes
    ("Py", ["main.py", "research.ipynb"], "main.py", "research.ipynb"),
    (None, ["Main.cs", "Research.ipynb", "lib/research.ipynb"], "Main.cs", "Research.ipynb"),
    ("C#", [], "Main.cs", "Research.ipynb"),                              # from the language only
    (None, [], "main.py", "research.ipynb"),
])
def test_main_file_and_research_notebook_follow_the_project(language, names, main, research):
    from qc_magics.api.layout import main_file, research_notebook
    assert main_file(language, names) == main
    assert research_notebook(language, names) == research


def test_main_file_and_research_notebook_name_files_the_project_has(account):
    from qc_magics.api.layout import main_file, research_notebook
    client = account[1]
    for language in ("C#", "Py"):
        project = client.create_project(f"Layout {language}", language=language)
        try:
            names = [f["name"] for f in client.read_files(project["projectId"])]
            assert {main_file(language, names), research_notebook(language, names)} == set(names)
        finally:
            client.delete_project(project["projectId"])


# --- the real service's shapes, as the results layer's fixtures hold them ----------------------

FIXTURES = Path(__file__).parent / "fixtures" / "real"
FIXTURE_SHAPES = {
    "backtest_orders_read.json": shapes.ORDERS, "backtest_read_completed.json": shapes.BACKTEST_READ,
    "backtest_read_old.json": shapes.BACKTEST_READ,
    "backtest_read_running.json": shapes.BACKTEST_READ,
    "optimization_read_empty.json": shapes.OPTIMIZATION_READ,
    "optimization_read_list_statistics.json": shapes.OPTIMIZATION_READ,
    "optimization_read_object_statistics.json": shapes.OPTIMIZATION_READ,
}
LIST_SHAPES = {"projects": shapes.PROJECT_LIST, "backtests": shapes.BACKTEST_LIST,
               "optimizations": shapes.OPTIMIZATION_LIST}


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="no real-shape fixtures in this tree")
def test_every_real_shape_fixture_passes_the_doctor():
    names = sorted(p.name for p in FIXTURES.glob("*.json"))
    assert set(names) <= set(FIXTURE_SHAPES) | {"lists.json"}, "a new fixture: map it here"
    for name in names:
        answer = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        if name == "lists.json":
            for key, shape in LIST_SHAPES.items():
                assert shape.problems(answer[key]) == [], (name, key)
        else:
            assert FIXTURE_SHAPES[name].problems(answer) == [], name


@pytest.mark.skipif(not FIXTURES.is_dir(), reason="no real-shape fixtures in this tree")
def test_the_probe_passes_when_the_emulator_answers_like_the_fixtures(account, emu):
    def fixture(name: str) -> dict:
        answer = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        return {k: v for k, v in answer.items() if k not in ("_source", "success")}
    real = fixture("backtest_read_completed.json")["backtest"]
    reshape(emu.app, "/backtests/read", set_field("backtest", real))
    reshape(emu.app, "/optimizations/read", set_field(
        "optimization", fixture("optimization_read_object_statistics.json")["optimization"]))
    reshape(emu.app, "/backtests/orders/read", set_field(
        "orders", fixture("backtest_orders_read.json")["orders"]))
    result = diagnose(account)
    assert result.exit_code == 0, result.text()
    assert result.count("skip") == 0


# --- the report ----------------------------------------------------------------------------------

def _secrets(account) -> list[str]:
    emu, client, made = account
    bt = made["backtest"]
    files = client.read_files(made["project"]["projectId"])
    stats = [v for v in list(bt["statistics"].values()) + list(bt["runtimeStatistics"].values())
             if isinstance(v, str) and re.search(r"[0-8]", v) and len(v) >= 3]
    return ([TOKEN, MARKER, PROJECT_NAME, bt["backtestId"], bt["name"], made["optimization"],
             made["optimization"][2:], str(made["project"]["projectId"]),
             emu.app.state.organization_id]
            + [f["content"][:60] for f in files if f["content"].strip()] + stats)


def test_the_report_holds_no_secret_and_no_content(account, emu, tmp_path):
    reshape(emu.app, "/backtests/read", set_field("backtest.statistics", "oops"))
    result = diagnose(account)
    path = write_report(result, tmp_path / "doctor.json")
    text = path.read_text(encoding="utf-8")
    report = json.loads(text)
    found = [s for s in _secrets(account) if s and s in text]
    assert found == []
    assert report["summary"]["failed"] == 1
    by_name = {c["check"]: c for c in report["checks"]}
    assert by_name["backtests/read"]["problems"] == [
        "backtest.statistics: expected object or [], got string"]
    # Field names and kinds stay: enough to see what the service sent.
    files = by_name["files/read"]["answer"]["files"]["items"][0]
    assert files["content"] == "string" and files["modified"] == "string '9-9-9 9:9:9'"
    stats = by_name["backtests/list"]["answer"]["backtests"]["items"][0]
    assert stats["sharpeRatio"] == "number"


def test_the_report_of_a_clean_run_holds_no_secret(account, emu, tmp_path):
    text = write_report(diagnose(account), tmp_path / "r.json").read_text(encoding="utf-8")
    assert [s for s in _secrets(account) if s in text] == []
    assert '"Sharpe Ratio": "string' in text     # standard statistic names are kept
    by_name = {c["check"]: c for c in json.loads(text)["checks"]}
    equity = by_name["backtests/chart/read Strategy Equity"]["answer"]["chart"]["series"]
    assert equity["Equity"]["values"]["items"][0]["list of"] == 5   # candles


# --- skipped checks, and the faces ---------------------------------------------------------------

@pytest.fixture
def fresh():
    with Emulator(api_token=TOKEN, user_id="4242", seed=3, time_scale=0.02) as emu:
        client = make_client(emu)
        client.create_project("Fresh Idea")
        yield emu, client
        client.close()


def test_no_backtest_or_optimization_is_skipped_not_failed(fresh):
    result = probe(fresh[1], wait=1.0, poll=FAST)
    assert result.exit_code == 0
    text = result.text()
    assert "- backtests/read: skipped: no backtest in the 1 most recently modified projects" \
        in text or "- backtests/read: skipped: no backtest in project 'Fresh Idea'" in text
    assert "optimizations/read: skipped: no optimization in" in text
    assert "0 failed" in text


def test_no_backtest_in_the_named_project(fresh):
    result = probe(fresh[1], "Fresh Idea", wait=1.0, poll=FAST)
    assert "- backtests/read: skipped: no backtest in project 'Fresh Idea'" in result.text()


def _cli(emu, monkeypatch, capsys, *args):
    from qc_magics.cli import main
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    code = main(["doctor", "--wait", "5", *args])
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    return code, out, err


def test_cli_exit_codes_and_report(account, emu, monkeypatch, capsys, tmp_path):
    code, out, err = _cli(emu, monkeypatch, capsys)
    assert code == 0 and "0 failed" in out, out + err
    reshape(emu.app, "/files/read", drop_field("files"))
    code, out, err = _cli(emu, monkeypatch, capsys, "--report", str(tmp_path / "d.json"))
    assert code == 1 and "files/read: files: missing" in out
    assert f"written to {tmp_path / 'd.json'}" in out
    assert json.loads((tmp_path / "d.json").read_text())["summary"]["failed"] == 1
    code, out, err = _cli(emu, monkeypatch, capsys, "--wait", "soon")
    assert code == 2 and "Traceback" not in err
    code, out, err = _cli(emu, monkeypatch, capsys, "--report", str(tmp_path / "no" / "d.json"))
    assert code == 1 and err.startswith("qc-magics: cannot write the report to") and \
        "Traceback" not in err
    clear(emu.app)
    code, out, err = _cli(emu, monkeypatch, capsys, "--json")
    assert code == 0 and json.loads(out)["checks"][0] == {
        "name": "authenticate", "status": "ok", "problems": [], "reason": "", "detail": ""}


def test_cli_refused_credentials_exit_1(account, emu, monkeypatch, capsys):
    from qc_magics.cli import main
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", new_token())
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    code = main(["doctor"])
    out, err = capsys.readouterr()
    assert code == 1 and "authenticate: the credentials were refused" in out
    assert len([r for r in emu.requests if r["endpoint"] == "/authenticate"]) >= 1
    assert {r["endpoint"] for r in emu.requests} == {"/authenticate"}


def test_magic(account, emu, ipshell, monkeypatch):
    monkeypatch.setenv("QC_USER_ID", emu.user_id)
    monkeypatch.setenv("QC_API_TOKEN", emu.api_token)
    monkeypatch.setenv("QC_API_URL", emu.api_url)
    ipshell.run_line_magic("load_ext", "qc_magics")
    magics = ipshell.magics_manager.registry["QCMagics"]
    magics.session.reset_client()
    try:
        ipshell.run_line_magic("qc", f"doctor --project {account[2]['project']['projectId']} "
                                     "--wait 5 --out d")
        d = ipshell.user_ns["d"]
        assert d.exit_code == 0 and "optimizations/read" in str(d)
    finally:
        magics.session.reset_client()

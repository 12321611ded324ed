"""The client reads every shape the real service sends (REAL-SERVICE.md), including the ones our
emulator does not send: a small loopback server answers with fixtures written in those shapes.
"""
from __future__ import annotations

import json
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import new_token
from qc_magics import (ApiError, AuthenticationError, ConflictError, MalformedResponse,
                       NotFoundError, QCClient, TransportError)
from qc_magics.api import RetryPolicy, Timeouts
from qc_magics.api.lookup import find_project
from qc_magics.errors import FileTooLarge, QCError


class Canned:
    """A loopback HTTP server answering each endpoint from a queue of (status, body, headers)."""

    def __init__(self):
        self.replies: dict[str, list[tuple[int, object, dict]]] = {}
        self.seen: list[tuple[str, dict]] = []
        canned = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                endpoint = self.path.split("/api/v2", 1)[1]
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                canned.seen.append((endpoint, json.loads(body or b"{}")))
                queue = canned.replies.get(endpoint) or [(200, {"success": True}, {})]
                status, answer, headers = queue.pop(0) if len(queue) > 1 else queue[0]
                raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
                self.send_response_only(status)
                for k, v in {"Content-Type": "application/json",
                             "Date": formatdate(usegmt=True), **headers}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v2"

    def answer(self, endpoint: str, *replies) -> None:
        """Queue replies: a dict (HTTP 200), or (status, body) / (status, body, headers)."""
        self.replies[endpoint] = [r if isinstance(r, tuple) and len(r) == 3 else
                                  (*r, {}) if isinstance(r, tuple) else (200, r, {})
                                  for r in replies]

    def count(self, endpoint: str) -> int:
        return sum(1 for e, _ in self.seen if e == endpoint)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def canned():
    c = Canned()
    yield c
    c.close()


@pytest.fixture
def api(canned):
    c = QCClient(user_id="4242", api_token=new_token(), api_url=canned.url,
                 retry=RetryPolicy(attempts=3, base=0.001, cap=0.002),
                 timeouts=Timeouts(connect=2, read=5))
    yield c
    c.close()


# --- error bodies ---------------------------------------------------------------------------------

@pytest.mark.parametrize("body, text", [
    ({"success": False, "errors": ["Project name is too long"]}, "Project name is too long"),
    ({"success": False, "errors": "Project name is too long"}, "Project name is too long"),
    ({"success": False, "messages": ["Invalid language", "Try Py"]}, "Invalid language; Try Py"),
    ({"success": False, "Message": "An error has occurred."}, "An error has occurred."),
    ({"success": False, "Message": ["An error has occurred."]}, "An error has occurred."),
    ({"success": False, "errors": [], "messages": ["from messages"]}, "from messages"),
])
def test_every_error_field_and_shape_becomes_the_api_error_text(canned, api, body, text):
    canned.answer("/projects/create", body)
    with pytest.raises(ApiError) as e:
        api.create_project("X")
    assert text in str(e.value)
    assert "; ".join(e.value.errors) == text


def test_an_error_without_any_message_still_says_so(canned, api):
    canned.answer("/projects/read", {"success": False})
    with pytest.raises(ApiError, match="gave no reason"):
        api.list_projects()


@pytest.mark.parametrize("status", [200, 400, 403, 500, 503])
def test_hash_mismatch_in_a_200_or_500_body_is_an_authentication_error(canned, api, status):
    canned.answer("/projects/read", (status, {"success": False, "errors": ["Hash doesn't match."]}))
    with pytest.raises(AuthenticationError, match="user id and API token"):
        api.list_projects()
    assert canned.count("/projects/read") == 1          # not retried as a 5xx


def test_hash_mismatch_on_authenticate_is_an_authentication_error(canned, api):
    canned.answer("/authenticate", {"success": False, "errors": ["Hash doesn't match."]})
    with pytest.raises(AuthenticationError, match="Hash doesn't match"):
        api.authenticate()


def test_a_plain_500_on_a_read_is_retried_then_hints_at_credentials(canned, api):
    canned.answer("/projects/read", (500, b"<html>oops</html>"))
    with pytest.raises(TransportError) as e:
        api.list_projects()
    assert canned.count("/projects/read") == 3
    assert "HTTP 500" in str(e.value) and "credentials" not in str(e.value).split("HTTP 500")[0]
    assert "user id and API token" in str(e.value)
    assert e.value.may_have_acted is False


def test_a_refused_signature_names_a_skewed_clock(canned, api):
    two_hours_ago = formatdate(api.transport._clock() - 3 * 3600, usegmt=True)
    canned.answer("/projects/read", (401, {"success": False, "errors": ["Timestamp is too old"]},
                                     {"Date": two_hours_ago}))
    with pytest.raises(AuthenticationError) as e:
        api.list_projects()
    assert "180 minutes ahead of the service's" in str(e.value)
    assert "about 2 hours" in str(e.value)


def test_a_right_clock_is_not_blamed(canned, api):
    canned.answer("/projects/read", (401, {"success": False, "errors": ["Hash doesn't match."]},
                                     {"Date": formatdate(usegmt=True)}))
    with pytest.raises(AuthenticationError) as e:
        api.list_projects()
    assert "minutes" not in str(e.value)


# --- sizes ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", ["create", "update"])
def test_413_on_an_upload_names_the_file_and_the_plan_limits(canned, api, call):
    endpoint = f"/files/{call}"
    canned.answer(endpoint, (413, b"uploaded files exceed the allowed size limit"))
    content = "x" * 40_000
    with pytest.raises(FileTooLarge) as e:
        getattr(api, f"{call}_file")(7, "research.ipynb", content)
    text = str(e.value)
    assert "'research.ipynb' (39.1 KB)" in text
    assert "Free 32 KB, Team 128 KB, Trading Firm and up 256 KB per file" in text
    assert (e.value.name, e.value.size) == ("research.ipynb", 40_000)
    assert isinstance(e.value, ApiError) and not isinstance(e.value, TransportError)
    assert canned.count(endpoint) == 1
    assert "\n" not in text


def test_the_service_size_wording_is_a_file_too_large_too(canned, api):
    canned.answer("/files/update", {"success": False, "errors": [
        "File big.py is 32,001 characters; the maximum file size is 32,000 characters."]})
    with pytest.raises(FileTooLarge) as e:
        api.update_file(7, "big.py", "x" * 32_001)
    assert "'big.py' (31.3 KB)" in str(e.value) and "Team 128 KB" in str(e.value)
    assert "32,001 characters" in str(e.value)


# --- creates that may have acted ---------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("endpoint, call, check", [
    ("/projects/create", lambda c: c.create_project("Momentum"), "list_projects"),
    ("/files/create", lambda c: c.create_file(7, "a.py", "x = 1\n"), "read_files"),
    ("/compile/create", lambda c: c.create_compile(7), "compiles are not listed"),
    ("/backtests/create", lambda c: c.create_backtest(7, "c-1", "bt"), "list_backtests"),
    ("/optimizations/create", lambda c: c.create_optimization(
        7, "opt", compile_id="c-1", target="sharpe", target_to="max",
        parameters=[__import__("qc_magics").ParameterRange("a", 1, 2, 1)], estimated_cost=1.0,
        node_type="O2-8", parallel_nodes=2), "list_optimizations"),
])
def test_a_5xx_answering_a_create_says_it_may_have_acted_and_how_to_check(canned, api, status,
                                                                         endpoint, call, check):
    canned.answer(endpoint, (status, {"success": False, "errors": [f"HTTP {status}"]}))
    with pytest.raises(TransportError) as e:
        call(api)
    text = str(e.value)
    assert e.value.may_have_acted is True
    assert "may still have been carried out" in text and check in text
    assert "try again" not in text.lower()
    assert canned.count(endpoint) == 1                     # never sent twice


def test_a_5xx_answering_a_read_has_not_acted(canned, api):
    canned.answer("/projects/read", (502, b""))
    with pytest.raises(TransportError) as e:
        api.list_projects()
    assert e.value.may_have_acted is False
    assert QCError.may_have_acted is False


def test_a_429_on_a_create_is_retried_since_nothing_was_done(canned, api):
    canned.answer("/projects/create", (429, {"success": False}, {"Retry-After": "0"}),
                  {"success": True, "projects": [{"projectId": 1, "name": "A"}]})
    assert api.create_project("A")["projectId"] == 1
    assert canned.count("/projects/create") == 2


# --- files and projects ---------------------------------------------------------------------------------

def test_file_writes_answered_without_a_files_list_work(canned, api):
    canned.answer("/files/create", {"success": True})
    canned.answer("/files/update", {"success": True, "errors": []})
    assert api.create_file(7, "a.py", "x = 1\n") == {"name": "a.py", "content": "x = 1\n"}
    assert api.update_file(7, "a.py", "x = 2\n") == {"name": "a.py", "content": "x = 2\n"}


def test_file_writes_with_a_files_list_return_the_service_record(canned, api):
    record = {"name": "a.py", "content": "x = 1\n", "modified": "2026-08-01 10:00:00",
              "isLibrary": False}
    canned.answer("/files/create", {"success": True, "files": [record]})
    assert api.create_file(7, "a.py", "x = 1\n") == record


def test_the_name_projects_create_returns_is_the_one_used(canned, api):
    # The real service renamed "options_selection_test" to "options_selection_test 1"
    # (lean-cli issue #307 shows the answer).
    canned.answer("/projects/create", {"success": True, "projects": [{
        "projectId": 14385875, "name": "options_selection_test 1", "language": "Py",
        "modified": "2023-03-21 20:45:48", "created": "2023-03-21 20:45:48",
        "parameters": [], "liveResults": None, "libraries": []}]})
    made = api.create_project("options_selection_test")
    assert (made["projectId"], made["name"]) == (14385875, "options_selection_test 1")
    assert canned.seen[-1][1]["name"] == "options_selection_test"


PROJECTS = {"success": True, "projects": [
    {"projectId": 1, "name": "Recycle Bin/Momentum", "language": "Py"},
    {"projectId": 2, "name": "Momentum", "language": "Py"},
    {"projectId": 3, "name": "Recycle Bin/Carry", "language": "Py"},
]}


def test_deleted_projects_are_left_out_of_listings_unless_asked(canned, api):
    canned.answer("/projects/read", PROJECTS)
    assert [p["projectId"] for p in api.list_projects()] == [2]
    assert [p["projectId"] for p in api.list_projects(include_deleted=True)] == [1, 2, 3]


def test_deleted_projects_are_left_out_of_name_lookups(canned, api):
    canned.answer("/projects/read", PROJECTS)
    assert find_project(api, "Momentum")["projectId"] == 2
    assert find_project(api, "momentum")["projectId"] == 2
    with pytest.raises(NotFoundError) as e:
        find_project(api, "Carry")
    assert "Recycle Bin" not in str(e.value)
    assert find_project(api, "Recycle Bin/Carry")["projectId"] == 3   # asked for by its name


# --- missing payloads -------------------------------------------------------------------------------------

@pytest.mark.parametrize("endpoint, call", [
    ("/backtests/read", lambda c: c.read_backtest(7, "b1")),
    ("/backtests/create", lambda c: c.create_backtest(7, "c-1", "bt")),
    ("/optimizations/read", lambda c: c.read_optimization("O-1")),
    ("/optimizations/estimate", lambda c: c.estimate_optimization(
        7, "o", target="sharpe", target_to="max",
        parameters=[__import__("qc_magics").ParameterRange("a", 1, 2, 1)])),
    ("/compile/create", lambda c: c.create_compile(7)),
    ("/compile/read", lambda c: c.read_compile(7, "c-1")),
    ("/backtests/list", lambda c: c.list_backtests(7)),
    ("/optimizations/list", lambda c: c.list_optimizations(7)),
    ("/files/read", lambda c: c.read_files(7)),
    ("/projects/read", lambda c: c.list_projects()),
])
@pytest.mark.parametrize("answer", [{"success": True}, {"success": True, "backtest": "x",
                                                        "optimization": [], "estimate": 3,
                                                        "compileId": 5, "backtests": {},
                                                        "optimizations": "x", "files": 1,
                                                        "projects": {}}])
def test_a_missing_payload_is_a_malformed_response_not_a_key_error(canned, api, endpoint, call,
                                                                   answer):
    canned.answer(endpoint, answer)
    with pytest.raises(MalformedResponse, match=endpoint):
        call(api)


def test_a_handle_waiting_on_an_answer_without_its_payload_gets_a_malformed_response(canned,
                                                                                     api):
    from qc_magics.results import Backtest, Optimization
    canned.answer("/backtests/read", {"success": True, "backtests": [{"backtestId": "b1"}]})
    canned.answer("/optimizations/read", {"success": True})
    for handle in (Backtest(api, 7, "b1", progress="none", poll=(0.01, 0.01)),
                   Optimization(api, "O-1", progress="none", poll=(0.01, 0.01))):
        with pytest.raises(MalformedResponse, match=f"no '{handle.kind}' object"):
            handle.wait(timeout=1)


@pytest.mark.parametrize("created", [{}, {"name": "bt"}, {"backtestId": None}])
def test_a_started_backtest_without_its_id_is_a_malformed_response(canned, api, created):
    from qc_magics.jobs import run_backtest
    canned.answer("/projects/read", PROJECTS)
    canned.answer("/compile/create", {"success": True, "compileId": "c-1", "state": "InQueue"})
    canned.answer("/compile/read", {"success": True, "compileId": "c-1",
                                    "state": "BuildSuccess", "logs": []})
    canned.answer("/backtests/create", {"success": True, "backtest": created})
    with pytest.raises(MalformedResponse, match="/backtests/create: the answer has no backtestId"):
        run_backtest(api, "Momentum", progress="none", poll=(0.01, 0.01))
    assert canned.count("/backtests/read") == 0


def test_a_started_optimization_without_its_id_is_a_malformed_response(canned, api):
    from qc_magics import ParameterRange
    canned.answer("/optimizations/create", {"success": True, "optimizations": [{"name": "o"}]})
    with pytest.raises(MalformedResponse, match="no optimizationId"):
        api.create_optimization(7, "o", compile_id="c-1", target="sharpe", target_to="max",
                                parameters=[ParameterRange("a", 1, 2, 1)], estimated_cost=0.1,
                                node_type="O2-8", parallel_nodes=2)


def test_null_lists_read_as_empty(canned, api):
    canned.answer("/backtests/list", {"success": True, "backtests": None})
    assert api.list_backtests(7) == []


def test_account_with_a_null_card_and_a_decimal_balance(canned, api):
    canned.answer("/account/read", {"success": True, "organizationId": "abc",
                                    "creditBalance": 123.45, "card": None})
    assert api.read_account() == {"organizationId": "abc", "creditBalance": 123.45, "card": None}


# --- conflicts by the service's wording ---------------------------------------------------------------------

@pytest.mark.parametrize("said", [
    "You do not have write permission to this project",
    "You do not have write permission to project 7: it is locked for editing by another session "
    "(cloud-ide).",
    "Project is locked for editing by another user",
])
def test_the_lock_wording_is_a_conflict(canned, api, said):
    canned.answer("/files/update", {"success": False, "errors": [said]})
    with pytest.raises(ConflictError, match="other editor"):
        api.update_file(7, "main.py", "x = 1\n")


@pytest.mark.parametrize("said", [
    "Timestamp is too old, check the clock of your computer",
    "Request blocked by the firewall",
    "The project is unlocked",
    "Unlocked for editing",
    "Deadlock detected, please retry",
])
def test_words_that_merely_contain_lock_are_not_conflicts(canned, api, said):
    canned.answer("/files/update", {"success": False, "errors": [said]})
    with pytest.raises(ApiError) as e:
        api.update_file(7, "main.py", "x = 1\n")
    assert not isinstance(e.value, ConflictError)
    assert "other editor" not in str(e.value)


# --- generated inputs --------------------------------------------------------------------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from qc_magics.api.answers import classify, errors_of  # noqa: E402

json_values = st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(body=st.dictionaries(st.sampled_from(["errors", "messages", "Message", "success", "x"]),
                            json_values, max_size=4) | json_values)
def test_any_answer_body_gives_a_list_of_messages_and_never_raises(body):
    found = errors_of(body)
    assert isinstance(found, list) and all(isinstance(m, str) and m.strip() for m in found)


@settings(max_examples=150, deadline=None)
@given(before=st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6),
       after=st.text("abcdefghijklmnopqrstuvwxyz", max_size=6),
       context=st.text(" .,:;!?()abcdefghij", max_size=20))
def test_lock_inside_another_word_is_never_a_conflict(before, after, context):
    said = f"{context} {before}lock{after} {context}"
    assert not isinstance(classify("/files/update", [said]), ConflictError)
    assert not isinstance(classify("/files/update", [f"{before}locked for editing"]),
                          ConflictError)

"""How the client fails: every failure is a clear QCError subclass, and retries are safe."""
from __future__ import annotations

import time

import pytest

from conftest import SUITE_TOKEN, make_client, new_token
from qc_magics import (ApiError, AuthenticationError, ConflictError, InvalidArgument,
                       MalformedResponse, NotFoundError, QCClient, RequestTimeout, TransportError)
from qc_magics.api import RetryPolicy, Timeouts


def test_wrong_token_is_an_authentication_error_naming_credentials_and_clock(emu):
    bad = QCClient(user_id=emu.user_id, api_token=new_token(), api_url=emu.api_url)
    with pytest.raises(AuthenticationError) as e:
        bad.list_projects()
    text = str(e.value)
    assert "user id and API token" in text and "clock" in text
    assert "Hash doesn't match." in text
    assert emu.requests[-1]["status"] == 401


def test_wrong_user_is_refused(emu):
    bad = QCClient(user_id="999", api_token=SUITE_TOKEN, api_url=emu.api_url)
    with pytest.raises(AuthenticationError):
        bad.authenticate()


def test_stale_timestamp_is_refused_and_blamed_on_the_clock(emu):
    skewed = QCClient(**emu.client_kwargs(), clock=lambda: time.time() - 3 * 3600)
    with pytest.raises(AuthenticationError) as e:
        skewed.list_projects()
    assert "too old" in str(e.value) and "clock" in str(e.value)
    assert "about 180 minutes behind the service's" in str(e.value)   # from its Date header


def test_missing_authorization_gets_401_with_www_authenticate(emu):
    import requests
    r = requests.post(emu.api_url + "/projects/read", json={}, timeout=5)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert r.json()["success"] is False


def test_missing_project_file_backtest_and_optimization_are_not_found(client, project):
    pid = project["projectId"]
    with pytest.raises(NotFoundError, match="Project not found: 1234"):
        client.read_project(1234)
    with pytest.raises(NotFoundError, match="File not found: nope.py"):
        client.read_file(pid, "nope.py")
    with pytest.raises(NotFoundError, match="File not found: nope.py"):
        client.update_file(pid, "nope.py", "x = 1\n")
    with pytest.raises(NotFoundError):
        client.read_backtest(pid, "0" * 32)
    with pytest.raises(NotFoundError):
        client.read_optimization("O-" + "0" * 32)
    with pytest.raises(NotFoundError):
        client.read_compile(pid, "a" * 32 + "-" + "b" * 32)


def test_duplicate_and_empty_files_are_refused_and_change_nothing(client, emu, project):
    pid = project["projectId"]
    before = emu.cloud_files(pid)
    with pytest.raises(ApiError, match="File already exists: main.py") as e:
        client.create_file(pid, "main.py", "x = 1\n")
    assert e.value.errors == ["File already exists: main.py"]
    with pytest.raises(ApiError, match="cannot be empty"):
        client.create_file(pid, "empty.py", "")
    with pytest.raises(ApiError, match="already exists"):
        client.rename_file(pid, "main.py", "research.ipynb")
    assert emu.cloud_files(pid) == before


def test_oversized_file_is_refused_with_size_and_cap(client, emu, project):
    pid = project["projectId"]
    big = "x" * 32_001
    with pytest.raises(ApiError, match="32,001 characters; the maximum file size is 32,000"):
        client.create_file(pid, "big.py", big)
    with pytest.raises(ApiError, match="maximum file size"):
        client.update_file(pid, "main.py", big)
    client.create_file(pid, "fits.py", "x" * 32_000)
    assert "big.py" not in emu.cloud_files(pid)


def test_a_patch_that_does_not_match_fails_cleanly(client, emu, project):
    pid = project["projectId"]
    before = emu.cloud_files(pid)
    with pytest.raises(ApiError, match="does not match"):
        client.patch_file(pid, "--- a/main.py\n+++ b/main.py\n@@ -1,1 +1,1 @@\n-nothing\n+x\n")
    with pytest.raises(ApiError, match="no such file"):
        client.patch_file(pid, "--- a/ghost.py\n+++ b/ghost.py\n@@ -1,1 +1,1 @@\n-a\n+b\n")
    assert emu.cloud_files(pid) == before


def test_a_project_locked_by_another_session_gives_a_conflict(client, emu, project):
    pid = project["projectId"]
    other = make_client(emu, code_source_id="cloud-ide")
    other.acquire_project_lock(pid)
    with pytest.raises(ConflictError) as e:
        client.update_file(pid, "main.py", "x = 1\n")
    assert "write permission" in str(e.value) and "cloud-ide" in str(e.value)
    other.update_file(pid, "main.py", "x = 2\n")   # the lock holder can still write
    client.acquire_project_lock(pid)               # taking the lock over ends the conflict
    client.update_file(pid, "main.py", "x = 3\n")
    assert emu.cloud_files(pid)["main.py"] == "x = 3\n"


@pytest.mark.parametrize("kind, error, text", [
    ("malformed", MalformedResponse, "not JSON"),
    ("not-object", MalformedResponse, "expected a JSON object"),
])
def test_malformed_answers_raise_clear_errors(client, emu, kind, error, text):
    emu.script_fault("/projects/read", kind)
    with pytest.raises(error, match=text):
        client.list_projects()


def test_read_timeout_is_retried_then_reported(emu):
    c = make_client(emu, timeouts=Timeouts(connect=2, read=0.3),
                    retry=RetryPolicy(attempts=2, base=0.01, cap=0.01))
    emu.script_fault("/projects/read", "stall:1", times=2)
    with pytest.raises(RequestTimeout, match="no answer .* within 0.3s"):
        c.list_projects()
    assert emu.count("/projects/read") == 2
    emu.script_fault("/projects/read", "stall:1")
    assert c.list_projects() == []   # one stall, then a good answer


def test_create_that_times_out_is_not_retried_and_says_it_may_have_happened(emu):
    c = make_client(emu, timeouts=Timeouts(connect=2, read=0.3))
    emu.script_fault("/projects/create", "stall:1")
    with pytest.raises(RequestTimeout, match="may still have been carried out") as e:
        c.create_project("Once")
    assert emu.count("/projects/create") == 1
    assert e.value.may_have_acted is True and "list_projects" in str(e.value)


def test_connection_refused_is_a_transport_error(emu):
    url = emu.api_url
    emu.stop()
    c = QCClient(user_id="1", api_token=new_token(), api_url=url,
                 retry=RetryPolicy(attempts=2, base=0.01, cap=0.01))
    with pytest.raises(TransportError, match="connection to 127.0.0.1"):
        c.list_projects()


def test_429_honours_retry_after(client, emu):
    emu.app.retry_after = 0.3
    emu.script_fault("/projects/read", "429")
    started = time.monotonic()
    assert client.list_projects() == []
    assert time.monotonic() - started >= 0.3
    assert [r["status"] for r in emu.requests] == [429, 200]


@pytest.mark.parametrize("kind", ["500", "502", "503", "504", "drop"])
def test_reads_are_retried_through_server_errors_and_drops(client, emu, kind):
    emu.script_fault("/projects/read", kind, times=3)
    assert client.list_projects() == []
    assert emu.count("/projects/read") == 4


@pytest.mark.parametrize("kind", ["500", "503", "drop"])
def test_creates_are_not_retried_blindly(client, emu, kind):
    emu.script_fault("/projects/create", kind)
    with pytest.raises(TransportError) as e:
        client.create_project("Exactly once")
    assert emu.count("/projects/create") == 1
    assert e.value.may_have_acted is True
    assert "try again" not in str(e.value).lower() and "list_projects" in str(e.value)


def test_creates_are_retried_after_429_since_nothing_was_done(client, emu):
    emu.script_fault("/projects/create", "429")
    assert client.create_project("After a 429")["name"] == "After a 429"
    assert emu.count("/projects/create") == 2
    assert len(client.list_projects()) == 1


def test_under_fault_rate_reads_succeed_and_creates_are_never_duplicated(emu):
    client = make_client(emu, retry=RetryPolicy(attempts=8, base=0.005, cap=0.02))
    pid = client.create_project("Faults")["projectId"]
    emu.fault_rate = 0.3
    created, failed = [], []
    for i in range(60):
        name = f"f{i}.py"
        try:
            client.create_file(pid, name, f"x = {i}\n")
            created.append(name)
        except TransportError:
            failed.append(name)
    for _ in range(40):
        assert {f["name"] for f in client.read_files(pid)} >= set(created)
    emu.fault_rate = 0.0
    cloud = set(emu.cloud_files(pid)) - {"main.py", "research.ipynb"}
    assert cloud == set(created)          # a failed create never happened behind our back
    assert created and failed             # the fault rate really bit
    sent = [r["fields"]["name"] for r in emu.requests
            if r["endpoint"] == "/files/create" and "fields" in r]
    assert len(sent) == len(set(sent))    # and no create reached the service twice
    assert any(r.get("fault") for r in emu.requests if r["endpoint"] == "/files/read")


def test_invalid_arguments_are_refused_before_any_request(client, emu):
    for call in (lambda: client.read_project("abc"),
                 lambda: client.read_project(-3),
                 lambda: client.create_project(""),
                 lambda: client.create_project("x", language="Java"),
                 lambda: client.read_backtest_orders(1, "b", 0, 101),
                 lambda: client.read_backtest_insights(1, "b", 50, 10),
                 lambda: client.create_backtest(1, "c", "n", {"flag": True}),
                 lambda: client.update_backtest(1, "b"),
                 lambda: client.read_backtest_chart(1, "b", "Equity", start=10, end=1, count=5)):
        with pytest.raises(InvalidArgument):
            call()
    assert emu.requests == []


def test_http_error_status_is_a_transport_error(client, emu):
    import requests
    r = requests.post(emu.api_url.replace("/api/v2", "/api/v2/nowhere"), json={}, timeout=5)
    assert r.status_code == 404
    client.transport.credentials = client.credentials.__class__(
        **{**client.credentials.__dict__, "api_url": emu.api_url + "/nowhere"})
    with pytest.raises(TransportError, match="HTTP 404"):
        client.list_projects()


def test_errors_and_reprs_never_hold_the_token(client, emu, project):
    captured = []
    for call in (lambda: client.read_project(999),
                 lambda: QCClient(user_id="1", api_token=SUITE_TOKEN + "x",
                                  api_url=emu.api_url).list_projects()):
        with pytest.raises(Exception) as e:
            call()
        captured += [str(e.value), repr(e.value)]
    captured += [repr(client), str(client), repr(client.credentials),
                 repr(client.credentials.api_token), repr(client.transport.session.auth)]
    assert all(SUITE_TOKEN not in text for text in captured)

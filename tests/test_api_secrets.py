"""No traceback of ours holds a signature, the Authorization header or the token, even printed
with every frame's locals (`%xmode Verbose`, `capture_locals=True`) and even for a Ctrl-C that
arrives in the middle of a request, deep inside the HTTP layer (api/wire.py).
"""
from __future__ import annotations

import base64
import signal
import threading
import time
import traceback

import pytest

from conftest import make_client, new_token
from qc_magics import ConfigError, InvalidArgument, QCClient, config
from qc_magics.api import RetryPolicy, Timeouts
from qc_magics.api.transport import signature


def rendered(exc: BaseException) -> str:
    """The traceback as a verbose one shows it: Python's with locals, and IPython's Verbose.

    The test's own frame (which holds the token it made) is left out: what counts is ours.
    """
    from IPython.core.ultratb import VerboseTB
    ours = exc.__traceback__.tb_next
    python = "".join(traceback.TracebackException(type(exc), exc, ours,
                                                  capture_locals=True).format())
    try:   # IPython 9 names colour themes; 8 (the oldest we support) takes color_scheme
        tb = VerboseTB(theme_name="nocolor")
    except TypeError:
        tb = VerboseTB(color_scheme="NoColor")
    ipython = tb.text(type(exc), exc, ours)
    return python + "\n" + ipython


def secrets_of(user_id: str, token: str, stamp: int) -> dict[str, str]:
    sig = signature(token, str(stamp))
    return {"token": token, "signature": sig,
            "basic credential": base64.b64encode(f"{user_id}:{sig}".encode()).decode(),
            "timestamp header": f"'Timestamp': '{stamp}'"}


def interrupt_main_thread_after(seconds: float) -> threading.Thread:
    """Ctrl-C as a terminal sends it: SIGINT to the main thread, which is blocked in a socket."""
    main = threading.main_thread().ident

    def fire():
        time.sleep(seconds)
        signal.pthread_kill(main, signal.SIGINT)

    t = threading.Thread(target=fire, daemon=True)
    t.start()
    return t


def ctrl_c_during(emu, call, name: str, stalled: int = 1) -> QCClient:
    """Ctrl-C half a second into `call(client)`, whose requests stall: it stops the wait, and
    the traceback, rendered with every frame's locals, holds no secret. The client, to check."""
    stamp = int(time.time())
    client = make_client(emu, clock=lambda: stamp, timeouts=Timeouts(connect=2, read=10))
    pid = client.create_project("Stalled")["projectId"]
    emu.script_fault("/projects/read", "stall:3", times=stalled)
    waiter = interrupt_main_thread_after(0.5)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt) as e:
        call(client, pid)
    waiter.join()
    assert time.monotonic() - started < 2.5               # the Ctrl-C did stop the wait
    text = rendered(e.value)
    assert "KeyboardInterrupt" in text and name in text
    for what, secret in secrets_of(emu.user_id, emu.api_token, stamp).items():
        assert secret not in text, f"the {what} shows in the traceback"
    assert e.value.__context__ is None and e.value.__cause__ is None
    return client


needs_main_thread = pytest.mark.skipif(threading.current_thread() is not threading.main_thread(),
                                       reason="needs the main thread to receive SIGINT")


@needs_main_thread
def test_ctrl_c_during_a_request_shows_no_signature_in_any_frame(emu):
    ctrl_c_during(emu, lambda client, pid: client.read_project(pid), "read_project").close()


@needs_main_thread
def test_ctrl_c_during_many_requests_at_once_shows_no_signature_in_any_frame(emu):
    client = ctrl_c_during(emu, lambda client, pid: list(client.transport.post_many(
        "/projects/read", [{"projectId": pid}] * 8, concurrency=8)), "post_many", stalled=8)
    assert all(slot._value == client.transport.pool_size   # the slots were given back
               for slot in client.transport.session._slots.values())
    client.close()


def test_an_unexpected_failure_inside_requests_shows_no_header(emu, monkeypatch):
    """Whatever goes wrong below the transport (here: the connection refusing a header, in words
    that quote it) reaches the user as a TransportError without the header, its text or its
    frames."""
    from qc_magics.api import wire
    stamp = int(time.time())
    client = make_client(emu, clock=lambda: stamp)

    def refuse(self, header, *values):
        raise ValueError(f"Invalid header value {values!r}")

    monkeypatch.setattr(wire.Connection, "putheader", refuse)
    with pytest.raises(Exception) as e:
        client.list_projects()
    text = rendered(e.value) + str(e.value)
    assert "request failed (ValueError)" in str(e.value)
    for what, secret in secrets_of(emu.user_id, emu.api_token, stamp).items():
        assert secret not in text, f"the {what} shows in the traceback"


@pytest.mark.parametrize("user_id", ["", "abc", "12a", "١٢٣", "12 3", " 42", "4\n2", "ü42", "42€",
                                     "-1", "1.5", "0x10"])
def test_a_user_id_that_is_not_ascii_digits_is_refused_before_any_signing(emu, user_id):
    token = new_token()
    with pytest.raises((ConfigError, InvalidArgument)) as e:
        QCClient(user_id=user_id, api_token=token, api_url=emu.api_url).list_projects()
    text = str(e.value)
    assert "\n" not in text
    assert "digits" in text or "no QuantConnect user id" in text
    assert token not in rendered(e.value)
    assert emu.requests == []


def test_a_user_id_from_the_environment_is_checked_too(emu, monkeypatch):
    monkeypatch.setenv("QC_USER_ID", "Ω42")
    with pytest.raises(ConfigError, match="not a QuantConnect user id"):
        config.client(api_token=new_token(), api_url=emu.api_url)


def test_a_number_user_id_is_taken(emu):
    assert make_client(emu, retry=RetryPolicy(attempts=1)).authenticate()
    assert QCClient(user_id=int(emu.user_id), api_token=emu.api_token,
                    api_url=emu.api_url).authenticate()


def test_a_value_that_is_not_json_is_refused_before_any_request(client, emu):
    with pytest.raises(InvalidArgument, match="nothing was sent"):
        client.transport.post("/projects/read", {"start": float("nan")})
    assert emu.requests == []


def test_a_config_error_shows_no_token_from_the_environment(monkeypatch):
    token = new_token()
    monkeypatch.setenv("QC_USER_ID", "42")
    monkeypatch.setenv("QC_API_TOKEN", token)
    monkeypatch.setenv("QC_API_URL", "http://10.0.0.5/api/v2")   # refused: plain http elsewhere
    with pytest.raises(ConfigError) as e:
        config.client()
    assert token not in rendered(e.value)


def test_a_broken_credentials_file_shows_no_token_in_its_error(isolated_home):
    token = new_token()
    path = isolated_home / ".lean" / "credentials"
    path.parent.mkdir()
    for text in (f'{{"user-id": "42", "api-token": "{token}"', f'["{token}"]'):
        path.write_text(text)
        with pytest.raises(ConfigError) as e:
            config.client()
        assert token not in rendered(e.value)
        assert e.value.__context__ is None


def test_the_header_is_the_documented_signature():
    """authorization() computes in one expression what signature() documents: the same value."""
    from qc_magics.api.signing import authorization
    from qc_magics.config import Credentials, Secret
    token = new_token()
    header = authorization(Credentials("42", Secret(token)), "1700000000")
    user, _, password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")
    assert (user, password) == ("42", signature(token, "1700000000"))

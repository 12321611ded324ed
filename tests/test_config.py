"""Where credentials come from, how they are saved, and which API URLs are allowed."""
from __future__ import annotations

import json
import os
import pickle
import stat

import pytest

from conftest import new_token
from qc_magics import ConfigError, config
from qc_magics.config import Credentials, Secret


def write_json(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


@pytest.fixture
def four_sources(isolated_home, monkeypatch):
    """Credentials in every place, each with its own values."""
    tokens = {k: new_token() for k in ("args", "env", "own", "lean")}
    monkeypatch.setenv("QC_USER_ID", "200")
    monkeypatch.setenv("QC_API_TOKEN", tokens["env"])
    write_json(config.config_file(), {"user-id": "300", "api-token": tokens["own"],
                                      "organization-id": "org-own"})
    write_json(isolated_home / ".lean" / "credentials", {"user-id": "400",
                                                          "api-token": tokens["lean"]})
    return tokens


def test_arguments_win_over_everything(four_sources):
    c = config.resolve(user_id="100", api_token=four_sources["args"])
    assert (c.user_id, c.api_token.reveal(), c.source) == ("100", four_sources["args"], "arguments")


def test_environment_wins_over_files(four_sources):
    c = config.resolve()
    assert (c.user_id, c.api_token.reveal(), c.source) == ("200", four_sources["env"], "environment")
    assert c.organization_id == "org-own"   # a field missing from the environment comes from below


def test_own_config_file_wins_over_lean(four_sources, monkeypatch):
    monkeypatch.delenv("QC_USER_ID")
    monkeypatch.delenv("QC_API_TOKEN")
    c = config.resolve()
    assert (c.user_id, c.api_token.reveal()) == ("300", four_sources["own"])


def test_lean_cli_credentials_need_no_setup(four_sources, monkeypatch):
    monkeypatch.delenv("QC_USER_ID")
    monkeypatch.delenv("QC_API_TOKEN")
    config.config_file().unlink()
    c = config.resolve()
    assert (c.user_id, c.api_token.reveal()) == ("400", four_sources["lean"])
    assert c.source.endswith(os.path.join(".lean", "credentials"))
    assert c.api_url == "https://www.quantconnect.com/api/v2"


def test_nothing_found_names_every_place_and_the_fix():
    with pytest.raises(ConfigError) as e:
        config.resolve()
    text = str(e.value)
    assert "QC_USER_ID" in text and "%qc login" in text and ".lean" in text


def test_a_broken_credentials_file_is_named(isolated_home):
    path = isolated_home / ".lean" / "credentials"
    path.parent.mkdir()
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read .*credentials.*fix or delete"):
        config.resolve()


@pytest.mark.parametrize("url", ["http://127.0.0.1:5612/api/v2", "http://localhost/api/v2",
                                 "http://[::1]:8000/api/v2", "https://www.quantconnect.com/api/v2/"])
def test_https_anywhere_and_http_only_on_loopback(url):
    assert config.check_api_url(url) == url.rstrip("/")


@pytest.mark.parametrize("url", ["http://www.quantconnect.com/api/v2", "http://10.0.0.5/api/v2",
                                 "ftp://127.0.0.1/x", "not a url"])
def test_plain_http_elsewhere_is_refused_with_the_reason(url):
    with pytest.raises(ConfigError) as e:
        config.check_api_url(url)
    assert "https" in str(e.value)


def test_api_url_from_environment(monkeypatch):
    monkeypatch.setenv("QC_API_URL", "http://127.0.0.1:9/api/v2")
    c = config.resolve(user_id="1", api_token=new_token())
    assert c.api_url == "http://127.0.0.1:9/api/v2"


def test_save_writes_0600_atomically_and_round_trips(isolated_home):
    token = new_token()
    path = config.save(Credentials("77", Secret(token), organization_id="org",
                                   api_url="http://127.0.0.1:5612/api/v2"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]  # no temp left
    c = config.resolve()
    assert (c.user_id, c.api_token.reveal(), c.organization_id, c.api_url) == (
        "77", token, "org", "http://127.0.0.1:5612/api/v2")


def test_secret_never_shows_itself():
    token = new_token()
    s = Secret(token)
    creds = Credentials("1", s)
    for text in (repr(s), str(s), f"{s}", repr(creds), str(creds), s.masked()):
        assert token not in text
    with pytest.raises(TypeError):
        pickle.dumps(s)


@pytest.mark.parametrize("broken", ["{not json", "[1, 2]", "\xff\xfe"])
@pytest.mark.parametrize("which", ["own", "lean"])
def test_a_broken_lower_file_does_not_block_when_the_environment_has_credentials(
        isolated_home, monkeypatch, broken, which):
    token = new_token()
    monkeypatch.setenv("QC_USER_ID", "200")
    monkeypatch.setenv("QC_API_TOKEN", token)
    path = config.config_file() if which == "own" else isolated_home / ".lean" / "credentials"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(broken.encode("latin-1"))
    c = config.resolve()
    assert (c.user_id, c.api_token.reveal(), c.source) == ("200", token, "environment")
    c = config.resolve(user_id="7", api_token=token)
    assert (c.user_id, c.source) == ("7", "arguments")


def test_an_unreadable_lower_file_does_not_block_arguments(isolated_home):
    path = isolated_home / ".lean" / "credentials"
    path.mkdir(parents=True)              # a folder where the file should be: unreadable
    token = new_token()
    assert config.resolve(user_id="5", api_token=token).api_token.reveal() == token
    with pytest.raises(ConfigError) as e:
        config.resolve()
    assert str(path) in str(e.value) and "\n" not in str(e.value)


def test_a_broken_file_that_is_needed_is_named_in_one_line(isolated_home, monkeypatch):
    monkeypatch.setenv("QC_USER_ID", "200")          # the token must come from a file
    config.config_file().parent.mkdir(parents=True)
    config.config_file().write_text("{oops")
    with pytest.raises(ConfigError) as e:
        config.resolve()
    text = str(e.value)
    assert str(config.config_file()) in text and "JSONDecodeError" in text
    assert "\n" not in text


def test_a_good_file_below_a_broken_one_does_not_bypass_it(isolated_home):
    """First hit wins: a broken higher file is not skipped in favour of lean-cli's."""
    config.config_file().parent.mkdir(parents=True)
    config.config_file().write_text("{oops")
    write_json(isolated_home / ".lean" / "credentials", {"user-id": "400",
                                                          "api-token": new_token()})
    with pytest.raises(ConfigError, match="credentials.json"):
        config.resolve()


def test_optional_fields_still_come_from_a_good_file(isolated_home, monkeypatch):
    monkeypatch.setenv("QC_USER_ID", "200")
    monkeypatch.setenv("QC_API_TOKEN", new_token())
    write_json(config.config_file(), {"organization-id": "org-file",
                                      "api-url": "http://127.0.0.1:9/api/v2"})
    c = config.resolve()
    assert (c.organization_id, c.api_url) == ("org-file", "http://127.0.0.1:9/api/v2")


def test_lean_credentials_are_not_opened_when_not_needed(isolated_home, monkeypatch):
    opened = []
    real = config._read_json
    monkeypatch.setattr(config, "_read_json", lambda p: opened.append(p) or real(p))
    config.resolve(user_id="1", api_token=new_token())
    assert config.lean_credentials_file() not in opened


def test_a_client_takes_credentials_as_a_value_without_reading_files(isolated_home, monkeypatch):
    from qc_magics import QCClient
    for path in (config.config_file(), isolated_home / ".lean" / "credentials"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{broken")
    token = new_token()
    monkeypatch.setattr(config, "_read_json", lambda p: pytest.fail(f"read {p}"))
    c = QCClient(credentials=Credentials("9", Secret(token), api_url="http://127.0.0.1:9/api/v2"))
    assert (c.user_id, c.api_url) == ("9", "http://127.0.0.1:9/api/v2")
    assert c.credentials.api_token.reveal() == token


@pytest.mark.parametrize("user_id", ["abc", "١٢٣", "4 2", ""])
def test_credentials_refuse_a_user_id_that_is_not_digits(user_id):
    with pytest.raises(ConfigError, match="digits 0-9 only"):
        Credentials(user_id, Secret(new_token()))


def test_an_empty_token_argument_falls_through_to_the_environment(monkeypatch):
    token = new_token()
    monkeypatch.setenv("QC_API_TOKEN", token)
    c = config.resolve(user_id="3", api_token="")
    assert (c.api_token.reveal(), c.source) == (token, "environment")


def test_a_secret_token_is_taken_as_it_is():
    from qc_magics import QCClient
    token = new_token()
    c = QCClient(user_id="3", api_token=Secret(token), api_url="http://127.0.0.1:9/api/v2")
    assert c.credentials.api_token.reveal() == token


def test_an_api_url_holding_a_password_is_refused_without_showing_it():
    from qc_magics.config import check_api_url
    from qc_magics.errors import ConfigError
    for url in ("http://u:SECRETPW@127.0.0.1:5612/api/v2", "https://SECRETPW@example.com/api/v2",
                "ftp://u:SECRETPW@host/x"):
        with pytest.raises(ConfigError) as e:
            check_api_url(url)
        assert "SECRETPW" not in str(e.value) and "user name or password" in str(e.value)


def test_a_client_without_credentials_names_the_call_that_finds_them(monkeypatch):
    from qc_magics import QCClient
    monkeypatch.setenv("QC_USER_ID", "42")
    monkeypatch.setenv("QC_API_TOKEN", new_token())   # there to be found, but not by QCClient
    for partial in ({}, {"user_id": "42"}, {"api_token": new_token()}):
        with pytest.raises(ConfigError, match=r"config\.client\(\)"):
            QCClient(**partial)


def test_a_client_of_values_reads_no_environment_and_no_file(isolated_home, monkeypatch):
    from qc_magics import QCClient
    monkeypatch.setenv("QC_API_URL", "http://127.0.0.1:1/api/v2")
    monkeypatch.setenv("QC_ORGANIZATION_ID", "org-env")
    write_json(config.config_file(), {"user-id": "300", "api-token": new_token(),
                                      "organization-id": "org-own"})
    monkeypatch.setattr(config, "_read_json", lambda p: pytest.fail(f"read {p}"))
    c = QCClient(user_id=7, api_token=new_token())
    assert (c.user_id, c.api_url, c.credentials.organization_id) == (
        "7", config.DEFAULT_API_URL, None)


def test_a_client_of_values_checks_its_url_and_takes_credentials_or_values_not_both():
    from qc_magics import QCClient
    with pytest.raises(ConfigError, match="plain http"):
        QCClient(user_id="7", api_token=new_token(), api_url="http://10.0.0.5/api/v2")
    credentials = Credentials("9", Secret(new_token()))
    with pytest.raises(ConfigError, match="not both"):
        QCClient(credentials=credentials, api_url="http://127.0.0.1:9/api/v2")


def test_config_client_finds_credentials_and_passes_options_on(four_sources, monkeypatch):
    from qc_magics.api import RetryPolicy
    monkeypatch.setenv("QC_API_URL", "http://127.0.0.1:9/api/v2")
    c = config.client(pool_size=3, retry=RetryPolicy(attempts=1))
    assert (c.user_id, c.api_url, c.credentials.source) == ("200", "http://127.0.0.1:9/api/v2",
                                                            "environment")
    assert c.credentials.api_token.reveal() == four_sources["env"]
    assert c.credentials.organization_id == "org-own"       # the file fills what env lacks
    assert (c.pool_size, c.transport.retry.attempts) == (3, 1)
    given = config.client(user_id=100, api_token=four_sources["args"])
    assert (given.user_id, given.credentials.source) == ("100", "arguments")


def test_the_api_package_does_not_import_config():
    """api/ takes credentials as values; finding them (files, environment) is config's alone."""
    import subprocess
    import sys
    code = ("import sys, qc_magics.api; "
            "print('qc_magics.config' in sys.modules, 'qc_magics.credentials' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.split() == ["False", "True"]

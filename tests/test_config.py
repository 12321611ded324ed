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

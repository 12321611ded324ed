"""The same client against the real QuantConnect API: opt-in with QC_LIVE=1 and real credentials.

It creates one scratch project, works in it, and deletes it. It runs no backtest and no
optimization, so it costs nothing.
"""
from __future__ import annotations

import os
import time

import pytest

import spec
from qc_magics.api.transport import Transport

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(os.environ.get("QC_LIVE") != "1" or not os.environ.get("QC_API_TOKEN"),
                       reason="live tests need QC_LIVE=1, QC_USER_ID and QC_API_TOKEN"),
]


@pytest.fixture
def live_client(monkeypatch):
    from qc_magics import config
    seen = []
    original = Transport.post

    def recording(self, endpoint, body=None, **kwargs):
        answer = original(self, endpoint, body, **kwargs)
        seen.append((endpoint, answer))
        return answer

    monkeypatch.setattr(Transport, "post", recording)
    client = config.client()
    client.seen = seen
    return client


def test_live_round_trip_matches_the_spec(live_client):
    c = live_client
    assert c.authenticate()
    project = c.create_project(f"qc-magics live test {int(time.time())}")
    pid = project["projectId"]
    try:
        assert "main.py" in {f["name"] for f in c.read_files(pid)}
        c.create_file(pid, "qc_magics_probe.py", "X = 1\n")
        c.update_file(pid, "qc_magics_probe.py", "X = 2\n")
        assert c.read_file(pid, "qc_magics_probe.py")["content"] == "X = 2\n"
        c.delete_file(pid, "qc_magics_probe.py")
        compiled = c.create_compile(pid)
        assert compiled["state"] in ("InQueue", "BuildSuccess", "BuildError")
    finally:
        c.delete_project(pid)
    problems = [f"{endpoint}: {e}" for endpoint, answer in c.seen if spec.has_path(endpoint)
                for e in spec.errors(answer, spec.response_schema(endpoint))]
    assert problems == []

"""The Object Store client over real loopback HTTP against the emulator: every endpoint, the
download job that is not ready at first, the credential-free download, refusals, key checks."""
from __future__ import annotations

import hashlib
import string
import time
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import spec
from conftest import SUITE_TOKEN, make_client
from qc_magics.api.objectstore import (DownloadInterrupted, DownloadNotPermitted,
                                       DownloadTimeout, ObjectStoreFull, ObjectTooLarge,
                                       need_key)
from qc_magics.emulator import Emulator
from qc_magics.emulator.objectstore import StoredObject
from qc_magics.errors import ApiError, InvalidArgument, NotFoundError


@pytest.fixture
def org(emu):
    return emu.app.state.organization_id


@pytest.fixture
def oc(emu, org):
    """A client whose credentials name the emulator's organization."""
    c = make_client(emu, organization_id=org)
    yield c
    c.close()


def fast(**kw):
    return {"poll_interval": 0.01, **kw}


def test_set_list_properties_get_delete_round_trip(oc, emu):
    oc.set_object(None, "results/run1.csv", b"a,b\n1,2\n")
    oc.set_object(None, "/top.bin", bytes(range(256)))

    root = oc.list_objects(None, "/")
    by_key = {o["key"]: o for o in root["objects"]}
    assert by_key["results"]["folder"] is True and by_key["results"]["mime"] == "directory"
    assert by_key["top.bin"] == {**by_key["top.bin"], "folder": False, "size": 256,
                                 "name": "top.bin"}
    assert root["objectStorageUsed"] == 8 + 256
    assert [o["key"] for o in oc.list_objects(None, "results")["objects"]] == ["results/run1.csv"]

    meta = oc.object_properties(None, "results/run1.csv")
    assert meta["size"] == 8 and meta["mime"] == "text/csv" and meta["preview"] == "a,b\n1,2\n"
    assert meta["md5"] == hashlib.md5(b"a,b\n1,2\n").hexdigest()

    got = oc.get_objects(None, ["results/run1.csv", "/top.bin"], **fast())
    assert got == {"results/run1.csv": b"a,b\n1,2\n", "/top.bin": bytes(range(256))}

    oc.delete_object(None, "top.bin")      # the leading "/" does not make another key
    assert [o["key"] for o in oc.list_objects(None, "/")["objects"]] == ["results"]


def test_set_is_multipart_with_the_spec_fields(oc, emu, org):
    oc.set_object(None, "m.bin", b"\x00\x01")
    sent = [r for r in emu.requests if r["endpoint"] == "/object/set"][-1]["fields"]
    assert sent == {"organizationId": org, "key": "m.bin", "objectData": b"\x00\x01"}


def test_answers_match_the_official_schemas(oc, emu, org):
    oc.set_object(None, "f/x.json", b'{"a": 1}')
    t = oc.transport
    answers = {
        "/object/list": t.post("/object/list", {"organizationId": org, "path": "/"}),
        "/object/properties": t.post("/object/properties", {"organizationId": org,
                                                            "key": "f/x.json"}),
        "/object/delete": t.post("/object/delete", {"organizationId": org, "key": "f/x.json"}),
    }
    oc.set_object(None, "g.txt", b"x")
    emu.app.object_store.ready_after_reads = 0
    job = t.post("/object/get", {"organizationId": org, "keys": ["g.txt"]})
    # lean-cli reads data["url"] of this first answer too: it must be there, null (not ready).
    assert job["url"] is None and spec.errors({**job, "url": "-"},
                                              spec.response_schema("/object/get")) == []
    answers["/object/get"] = t.post("/object/get", {"organizationId": org, "jobId": job["jobId"]})
    for endpoint, answer in answers.items():
        assert spec.errors(answer, spec.response_schema(endpoint)) == [], endpoint


def test_a_download_job_not_ready_at_first_is_polled_with_progress(oc, emu):
    oc.set_object(None, "a.txt", b"hello")
    emu.app.object_store.ready_after_reads = 3
    lines: list[str] = []
    assert oc.get_objects(None, ["a.txt"], progress=lines.append, **fast()) == {"a.txt": b"hello"}
    assert emu.count("/object/get") == 1 + 4          # the job, three "not yet", the URL
    assert sum("waiting for Object Store download job" in line for line in lines) == 4
    assert lines[-1] == "downloading 1 object(s)"


def test_not_ready_can_be_scripted(oc, emu):
    oc.set_object(None, "a.txt", b"x")
    emu.app.object_store.ready_after_reads = 0
    emu.script_fault("/object/get", "loading", 3)      # the job request takes one of them
    assert oc.get_objects(None, ["a.txt"], **fast()) == {"a.txt": b"x"}
    answers = [r for r in emu.requests if r["endpoint"] == "/object/get"]
    assert len(answers) == 1 + 3


def test_the_download_url_is_fetched_without_our_credentials(oc, emu):
    oc.set_object(None, "a.txt", b"x")
    url = oc.object_download_url(None, ["a.txt"], **fast())
    assert url.startswith(emu.api_url.rsplit("/api/v2", 1)[0] + "/object-store/download/")
    oc.get_objects(None, ["a.txt"], **fast())
    downloads = emu.app.object_store.downloads
    assert downloads and all(not d["authorization"] and not d["timestamp"] for d in downloads)


def test_the_download_route_needs_no_credentials_and_knows_only_its_jobs(oc, emu):
    import requests
    oc.set_object(None, "a.txt", b"x")
    url = oc.object_download_url(None, ["a.txt"], **fast())
    assert requests.get(url, timeout=5).status_code == 200
    assert requests.get(url.replace(".zip", "0.zip"), timeout=5).status_code == 404


def test_a_download_that_never_gets_ready_times_out_naming_the_job(oc, emu):
    oc.set_object(None, "a.txt", b"x")
    emu.app.object_store.ready_after_reads = 10_000
    with pytest.raises(DownloadTimeout) as e:
        oc.get_objects(None, ["a.txt"], timeout=0.1, poll_interval=0.02)
    assert e.value.job_id in str(e.value) and "goes on" in str(e.value)
    emu.app.object_store.ready_after_reads = 0        # the same job, resumed: no second job
    assert oc.get_objects(None, ["a.txt"], job_id=e.value.job_id, **fast()) == {"a.txt": b"x"}
    assert len(emu.app.object_store.jobs) == 1


def test_ctrl_c_while_waiting_names_the_job_to_resume(oc, emu, monkeypatch):
    import qc_magics.api.objectstore as module
    oc.set_object(None, "a.txt", b"x")
    emu.app.object_store.ready_after_reads = 10_000

    def interrupt(seconds):
        raise KeyboardInterrupt
    monkeypatch.setattr(module, "time", SimpleNamespace(monotonic=time.monotonic,
                                                        sleep=interrupt))
    with pytest.raises(DownloadInterrupted) as e:
        oc.get_objects(None, ["a.txt"], **fast())
    assert f"job_id={e.value.job_id!r}" in str(e.value)
    assert e.value.__context__ is None or e.value.__suppress_context__


def test_missing_keys_are_not_found(oc, emu):
    oc.set_object(None, "here.txt", b"x")
    with pytest.raises(NotFoundError, match="gone.txt"):
        oc.get_objects(None, ["here.txt", "gone.txt"], **fast())
    with pytest.raises(NotFoundError, match="gone.txt"):
        oc.object_properties(None, "gone.txt")
    with pytest.raises(NotFoundError, match="gone.txt"):
        oc.delete_object(None, "gone.txt")


def test_an_object_over_the_organization_quota_is_refused_and_nothing_changes(oc, emu):
    emu.app.object_store.quota_bytes = 1_000
    oc.set_object(None, "small.bin", b"x" * 600)
    with pytest.raises(ObjectStoreFull) as e:
        oc.set_object(None, "big.bin", b"x" * 600)
    assert "quota" in str(e.value) and "50 MB and 1,000 files" in str(e.value)
    assert "\n" not in str(e.value)
    assert [o["key"] for o in oc.list_objects(None)["objects"]] == ["small.bin"]
    oc.set_object(None, "small.bin", b"y" * 900)    # replacing counts the new size only


def test_the_file_count_quota_is_refused_too(oc, emu):
    emu.app.object_store.quota_files = 2
    oc.set_object(None, "1", b"x")
    oc.set_object(None, "2", b"x")
    oc.set_object(None, "2", b"y")                  # a replacement is not a new file
    with pytest.raises(ObjectStoreFull, match="at most 2 files"):
        oc.set_object(None, "3", b"x")


def test_an_object_over_the_client_limit_is_refused_before_sending(oc, emu):
    with pytest.raises(ObjectTooLarge, match="nothing was sent"):
        oc.set_object(None, "big.bin", b"x" * 101, max_bytes=100)
    assert emu.count("/object/set") == 0


def test_download_not_permitted_wording_is_its_own_error(oc, emu, monkeypatch):
    from qc_magics.emulator import objectstore as routes

    def refuse(app, req):
        raise routes.RouteError("Organization does not have derivative export enabled")
    monkeypatch.setitem(emu.app.routes, "/object/get", refuse)
    with pytest.raises(DownloadNotPermitted, match="Institution tier"):
        oc.get_objects(None, ["a"], **fast())


def test_the_organization_defaults_to_the_credentials_and_is_required(emu, org, client):
    with pytest.raises(InvalidArgument, match="QC_ORGANIZATION_ID"):
        client.list_objects()
    assert emu.count("/object/list") == 0
    assert client.list_objects(org)["objects"] == []          # given explicitly
    with pytest.raises(ApiError, match="Organization not found"):
        client.list_objects("0" * 32)


def test_properties_of_a_folder_say_it_is_a_folder_and_an_empty_folder_lists_nothing(oc):
    oc.set_object(None, "models/rf.bin", b"x")
    with pytest.raises(ApiError, match="is a folder"):
        oc.object_properties(None, "models")
    assert oc.list_objects(None, "nothing-here")["objects"] == []


def test_keys_with_spaces_are_kept_as_given(oc):
    oc.set_object(None, " spaced key.txt", b"x")
    assert oc.get_objects(None, [" spaced key.txt"], **fast()) == {" spaced key.txt": b"x"}


def test_a_folder_of_many_objects_is_read_page_by_page(oc, emu, org):
    objects = emu.app.object_store.of(org)
    for i in range(150):
        objects[f"many/{i:03d}.txt"] = StoredObject(b"x", 1.0, 1.0)
    listed = oc.list_objects(None, "many")
    assert [o["name"] for o in listed["objects"]] == [f"{i:03d}.txt" for i in range(150)]
    assert emu.count("/object/list") == 2


def test_objects_survive_a_restart_with_a_state_dir(tmp_path):
    def start():
        return Emulator(api_token=SUITE_TOKEN, user_id="4242", seed=7, state_dir=tmp_path)
    with start() as first:
        c = make_client(first, organization_id=first.app.state.organization_id)
        c.set_object(None, "kept/model.bin", b"\x00weights")
    with start() as second:
        c = make_client(second, organization_id=second.app.state.organization_id)
        assert c.get_objects(None, ["kept/model.bin"], **fast()) == {
            "kept/model.bin": b"\x00weights"}


# --- keys ---------------------------------------------------------------------------------------

SEGMENT = st.text(alphabet=string.ascii_letters + string.digits + "-_. ", min_size=1,
                  max_size=12).filter(lambda s: s.strip() and s not in ("..",))
GOOD_KEYS = st.builds(lambda lead, parts: lead + "/".join(parts), st.sampled_from(["", "/"]),
                      st.lists(SEGMENT, min_size=1, max_size=4))


@given(GOOD_KEYS)
def test_good_keys_pass_unchanged(key):
    assert need_key(key) == key


@given(st.one_of(
    st.builds(lambda k: k + "/..", GOOD_KEYS),
    st.builds(lambda k: "../" + k, GOOD_KEYS),
    st.builds(lambda k, c: k + c, GOOD_KEYS, st.sampled_from(["\x00", "\n", "\t", "\x7f"])),
    st.builds(lambda k: k + "/", GOOD_KEYS),
    st.builds(lambda k: k.replace("/", "\\") + "\\x", GOOD_KEYS),
    st.text(alphabet=" \t", max_size=3),
    st.sampled_from([None, 3, b"k"]),
))
def test_bad_keys_are_refused_with_one_line(key):
    with pytest.raises(InvalidArgument) as e:
        need_key(key)
    assert "\n" not in str(e.value)


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=GOOD_KEYS, data=st.binary(max_size=64))
def test_generated_keys_round_trip_through_the_emulator(oc, key, data):
    oc.set_object(None, key, data)
    assert oc.get_objects(None, [key], **fast()) == {key: data}
    assert oc.object_properties(None, key)["size"] == len(data)


def test_bad_keys_send_nothing(oc, emu):
    for call in (lambda: oc.set_object(None, "a/../b", b"x"),
                 lambda: oc.get_objects(None, ["ok", ""]),
                 lambda: oc.object_properties(None, "dir/"),
                 lambda: oc.delete_object(None, "a\x00")):
        with pytest.raises(InvalidArgument):
            call()
    assert not [r for r in emu.requests if r["endpoint"].startswith("/object/")]

"""The emulator's projects, files, lock, collaborators, organizations and account, as the real
service keeps them (../shared/reference/REAL-SERVICE.md), requested by hand as lean-cli, the
mcp-server or curl would: JSON, form-encoded, or with fields left out."""
from __future__ import annotations


import pytest
import requests

import spec
from conftest import SUITE_TOKEN, Clock, make_client
from qc_magics.api.transport import signature
from qc_magics.emulator import Emulator
from qc_magics.emulator.collaboration import LOCK_SECONDS


def call(emu, endpoint, data=None, *, form=None) -> dict:
    """One signed request, JSON or form-encoded; the answer's JSON."""
    ts = str(int(emu.app.now()))
    return requests.post(emu.api_url + endpoint, json=data, data=form,
                         auth=(emu.user_id, signature(emu.api_token, ts)),
                         headers={"Timestamp": ts}, timeout=10).json()


def ok(answer: dict) -> dict:
    assert answer["success"], answer
    return answer


def refused(answer: dict, *words: str) -> str:
    assert answer["success"] is False, answer
    text = " ".join(answer["errors"])
    assert all(w in text for w in words), text
    return text


def new_project(emu, name="P", language="Py") -> int:
    return ok(call(emu, "/projects/create", {"name": name, "language": language}))[
        "projects"][0]["projectId"]


def read_project(emu, pid) -> dict:
    return ok(call(emu, "/projects/read", {"projectId": pid}))["projects"][0]


# --- projects ---------------------------------------------------------------------------------

def test_new_projects_hold_the_files_of_their_language(emu):
    assert set(emu.cloud_files(new_project(emu, "Py", "Py"))) == {"main.py", "research.ipynb"}
    assert set(emu.cloud_files(new_project(emu, "Cs", "C#"))) == {"Main.cs", "Research.ipynb"}


def test_create_trims_slashes_from_the_name_and_allows_a_shared_name(emu):
    answer = ok(call(emu, "/projects/create", {"name": "/Folder//Strategy/", "language": "Py"}))
    assert answer["projects"][0]["name"] == "Folder/Strategy"
    ok(call(emu, "/projects/create", {"name": "Folder/Strategy", "language": "Py"}))
    refused(call(emu, "/projects/create", {"name": " / ", "language": "Py"}), "name")


def test_read_refuses_start_not_before_end(emu):
    ids = [new_project(emu, f"P{i}") for i in range(3)]
    for start, end in ((1, 1), (1, 0), (0, 0)):
        refused(call(emu, "/projects/read", {"start": start, "end": end}), "start", "end")
    two = ok(call(emu, "/projects/read", {"end": 2}))["projects"]
    assert [p["projectId"] for p in two] == ids[:2]


def test_update_refuses_a_name_another_project_has_and_changes_nothing(emu):
    first, second = new_project(emu, "First"), new_project(emu, "Second")
    refused(call(emu, "/projects/update", {"projectId": second, "name": "First",
                                           "description": "never"}), "First", str(first))
    assert read_project(emu, second)["name"] == "Second"
    assert read_project(emu, second)["description"] == ""
    ok(call(emu, "/projects/update", {"projectId": second, "name": "Second"}))  # its own name


def test_update_takes_lean_clis_form_fields(emu):
    pid = new_project(emu, "Form")
    library = new_project(emu, "Library/Shared")
    research_before = read_files(emu, pid)["research.ipynb"]
    ok(call(emu, "/projects/update", form={
        "projectId": pid, "name": "Form", "description": "from lean-cli",
        "files[0][name]": "research.ipynb", "files[0][content]": research_before["content"],
        "files[1][name]": "lib/util.py", "files[1][content]": "X = 1\n",
        "files[2][name]": "__init__.py", "files[2][content]": "",
        "parameters[0][key]": "fast", "parameters[0][value]": "10",
        "parameters[1][key]": "mode", "parameters[1][value]": "x",
        "libraries[0]": library, "encryptionKey": "", "codeSourceId": "cli"}))
    files = read_files(emu, pid)
    assert set(files) == {"research.ipynb", "lib/util.py", "__init__.py"}   # main.py is gone
    assert files["research.ipynb"] == research_before   # unchanged: same id and modified time
    assert files["__init__.py"]["content"] == ""
    project = read_project(emu, pid)
    assert project["description"] == "from lean-cli"
    assert project["parameters"] == [{"key": "fast", "value": "10"}, {"key": "mode", "value": "x"}]
    assert project["libraries"] == [{"projectId": library, "libraryName": "Library/Shared",
                                     "ownerName": "Emulated User", "access": True}]
    ok(call(emu, "/projects/update", form={"projectId": pid, "parameters": ""}))
    assert read_project(emu, pid)["parameters"] == []
    refused(call(emu, "/projects/update", form={"projectId": pid, "libraries[0]": "999"}),
            "libraries")
    refused(call(emu, "/projects/update", form={"projectId": pid, "files[0][name]": "../x.py",
                                                "files[0][content]": "x"}), "valid file path")
    assert set(read_files(emu, pid)) == {"research.ipynb", "lib/util.py", "__init__.py"}


def test_delete_moves_the_project_to_the_recycle_bin(emu):
    pid = new_project(emu, "Doomed")
    ok(call(emu, "/projects/delete", {"projectId": pid}))
    assert read_project(emu, pid)["name"] == "Recycle Bin/Doomed"
    assert pid in [p["projectId"] for p in ok(call(emu, "/projects/read"))["projects"]]
    ok(call(emu, "/projects/delete", {"projectId": pid}))   # from the bin: gone for good
    refused(call(emu, "/projects/read", {"projectId": pid}), "not found")


# --- files ------------------------------------------------------------------------------------

def read_files(emu, pid) -> dict[str, dict]:
    return {f["name"]: f for f in ok(call(emu, "/files/read", {"projectId": pid}))["files"]}


def test_files_create_without_content_makes_an_empty_file_but_refuses_an_empty_string(emu):
    pid = new_project(emu)
    answer = ok(call(emu, "/files/create", {"projectId": pid, "name": "empty.py"}))
    assert "files" not in answer
    assert emu.cloud_files(pid)["empty.py"] == ""
    refused(call(emu, "/files/create", {"projectId": pid, "name": "blank.py", "content": ""}),
            "empty", "blank.py")
    assert "blank.py" not in emu.cloud_files(pid)


def test_files_update_refuses_empty_content_and_answers_without_files(emu):
    pid = new_project(emu)
    before = emu.cloud_files(pid)["main.py"]
    refused(call(emu, "/files/update", {"projectId": pid, "name": "main.py", "content": ""}),
            "empty")
    assert emu.cloud_files(pid)["main.py"] == before
    answer = ok(call(emu, "/files/update", {"projectId": pid, "name": "main.py", "content": "x\n"}))
    assert "files" not in answer and emu.cloud_files(pid)["main.py"] == "x\n"


# --- the lock ---------------------------------------------------------------------------------

@pytest.fixture
def stepped():
    clock = Clock()
    with Emulator(api_token=SUITE_TOKEN, seed=5, clock=clock) as e:
        e.clock = clock
        yield e


def test_the_lock_refuses_other_editors_but_not_a_forced_write(stepped):
    emu = stepped
    pid = new_project(emu)
    ok(call(emu, "/projects/collaboration/lock/acquire", {"projectId": pid,
                                                          "codeSourceId": "cloud-ide"}))
    writes = [
        ("/files/update", {"projectId": pid, "name": "main.py", "content": "a\n"}),
        ("/files/create", {"projectId": pid, "name": "b.py", "content": "b\n"}),
        ("/projects/update", {"projectId": pid, "description": "c"}),
        ("/files/delete", {"projectId": pid, "name": "research.ipynb"}),
    ]
    before = emu.cloud_files(pid)
    for endpoint, body in writes:
        refused(call(emu, endpoint, {**body, "codeSourceId": "cli"}), "write permission",
                "cloud-ide")
    assert emu.cloud_files(pid) == before
    for endpoint, body in writes:                      # the holder, and a forced write, pass
        source = {"codeSourceId": "cloud-ide"} if endpoint == "/files/create" else {}
        ok(call(emu, endpoint, {**body, **source}))
    emu.clock.t += LOCK_SECONDS + 1                    # the lock lapses
    ok(call(emu, "/files/update", {"projectId": pid, "name": "main.py", "content": "d\n",
                                   "codeSourceId": "cli"}))


def test_the_lock_holds_for_form_encoded_project_updates(stepped):
    pid = new_project(stepped)
    make_client(stepped, code_source_id="MCP Server").acquire_project_lock(pid)
    form = {"projectId": pid, "files[0][name]": "main.py", "files[0][content]": "pushed\n"}
    refused(call(stepped, "/projects/update", form={**form, "codeSourceId": "cli"}),
            "write permission")
    ok(call(stepped, "/projects/update", form=form))   # lean cloud push --force
    assert stepped.cloud_files(pid) == {"main.py": "pushed\n"}


# --- collaborators ----------------------------------------------------------------------------

def test_collaborators_are_added_read_updated_and_removed(emu):
    pid = new_project(emu)
    added = ok(call(emu, "/projects/collaboration/create", {
        "projectId": pid, "collaboratorUserId": "mia-ai", "collaborationLiveControl": True,
        "collaborationWrite": False}))["collaborators"]
    assert [c["owner"] for c in added] == [True, False]
    assert added[1]["publicId"] == "mia-ai" and added[1]["permission"] == "read"
    refused(call(emu, "/projects/collaboration/create", {
        "projectId": pid, "collaboratorUserId": "mia-ai", "collaborationLiveControl": True,
        "collaborationWrite": True}), "already")
    refused(call(emu, "/projects/collaboration/create", {
        "projectId": pid, "collaboratorUserId": " ", "collaborationLiveControl": True,
        "collaborationWrite": True}), "collaboratorUserId")
    read = ok(call(emu, "/projects/collaboration/read", {"projectId": pid}))
    assert read["userPermissions"] == "write" and read["userLiveControl"] is True
    assert read_project(emu, pid)["collaborators"] == read["collaborators"]
    updated = ok(call(emu, "/projects/collaboration/update", {
        "projectId": pid, "collaboratorUserId": "mia-ai", "liveControl": False,
        "write": True}))["collaborators"]
    assert updated[1]["permission"] == "write" and updated[1]["liveControl"] is False
    left = ok(call(emu, "/projects/collaboration/delete", {
        "projectId": pid, "collaboratorId": "mia-ai"}))["collaborators"]
    assert len(left) == 1 and left[0]["owner"]
    refused(call(emu, "/projects/collaboration/delete", {"projectId": pid,
                                                         "collaboratorId": "mia-ai"}), "not")
    refused(call(emu, "/projects/collaboration/read", {"projectId": -1}), "not found")


# --- organizations and account ----------------------------------------------------------------

def test_organizations_in_the_shape_lean_cli_reads(emu):
    org = ok(call(emu, "/organizations/read", {"organizationId": emu.app.state.organization_id}))[
        "organization"]
    assert org["id"] == emu.app.state.organization_id and isinstance(org["seats"], int)
    assert {"id", "name", "seats", "type", "credit", "products", "data", "members"} <= set(org)
    assert org["credit"]["balance"] == 1000 and isinstance(org["credit"]["movements"], list)
    assert set(org["data"]) == {"signedTime", "current"}
    assert all({"id", "name", "isAdmin", "email"} <= set(m) for m in org["members"])
    assert all({"productId", "name", "quantity", "unitPrice", "total"} <= set(item)
               for product in org["products"] for item in product["items"])
    assert ok(call(emu, "/organizations/read"))["organization"]["id"] == org["id"]
    refused(call(emu, "/organizations/read", {"organizationId": "nope"}), "not found")
    [listed] = ok(call(emu, "/organizations/list"))["organizations"]
    assert {"id", "name", "type", "ownerName", "members", "preferred"} <= set(listed)


def test_account_card_may_be_null(emu):
    account = ok(call(emu, "/account/read"))
    assert account["card"]["last4"] and account["creditBalance"] == 1000
    emu.card_on_file = False
    account = ok(call(emu, "/account/read"))
    assert account["card"] is None
    assert spec.errors(account, spec.response_schema("/account/read")) == []


# --- the spec, widened where the service differs ----------------------------------------------

def test_answers_match_the_spec_with_its_recorded_liberties(emu):
    pid = new_project(emu)
    answers = {
        "/projects/collaboration/create": call(emu, "/projects/collaboration/create", {
            "projectId": pid, "collaboratorUserId": "mia-ai", "collaborationLiveControl": True,
            "collaborationWrite": True}),
        "/projects/collaboration/read": call(emu, "/projects/collaboration/read",
                                             {"projectId": pid}),
        "/projects/read": call(emu, "/projects/read", {"projectId": pid}),
        "/files/create": call(emu, "/files/create", {"projectId": pid, "name": "e.py"}),
        "/files/update": call(emu, "/files/update", {"projectId": pid, "name": "e.py",
                                                     "content": "x"}),
        "/projects/collaboration/lock/acquire": call(
            emu, "/projects/collaboration/lock/acquire", {"projectId": pid, "codeSourceId": "x"}),
    }
    problems = [f"{e}: {p}" for e, a in answers.items()
                for p in spec.errors(ok(a), spec.response_schema(e))]
    assert problems == []
    assert not any(spec.has_path(e) for e in spec.BEYOND_THE_SPEC)


def test_new_project_fields_survive_a_restart(tmp_path):
    with Emulator(api_token=SUITE_TOKEN, state_dir=tmp_path) as emu:
        pid = new_project(emu)
        ok(call(emu, "/projects/update", form={"projectId": pid, "parameters[0][key]": "k",
                                               "parameters[0][value]": "v"}))
        ok(call(emu, "/projects/collaboration/create", {
            "projectId": pid, "collaboratorUserId": "mia-ai", "collaborationLiveControl": True,
            "collaborationWrite": True}))
    with Emulator(api_token=SUITE_TOKEN, state_dir=tmp_path) as emu:
        project = read_project(emu, pid)
        assert project["parameters"] == [{"key": "k", "value": "v"}]
        assert [c["publicId"] for c in project["collaborators"]][1:] == ["mia-ai"]

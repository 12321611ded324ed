"""Records (qc_magics/records.py) behave as the dataclasses they replace on the commands' path:
fields in order, repr, equality, hash and immutability when frozen, replace and asdict; and a
command's start-up imports neither `dataclasses` nor `inspect`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qc_magics import records
from qc_magics.api.optimizations import Constraint, ParameterRange
from qc_magics.api.transport import RetryPolicy, Timeouts
from qc_magics.credentials import Credentials, Secret
from qc_magics.errors import ConfigError, InvalidArgument
from qc_magics.sync.status import FileAction, FileStatus, StatusReport, SyncReport
from qc_magics.workspace.settings import Settings


def test_fields_in_order_and_repr_as_a_dataclass_shows_them():
    assert FileStatus.__fields__ == ("name", "state", "local_size", "cloud_size",
                                     "local_modified", "cloud_modified", "note")
    assert repr(FileAction("a.py", "pushed", "local-changed")) == \
        "FileAction(name='a.py', action='pushed', state='local-changed', detail='')"
    assert repr(Timeouts(read=5)) == "Timeouts(connect=10.0, read=5)"


def test_equality_by_value_and_type_and_mutable_ones_are_not_hashable():
    assert FileAction("a", "b", "c") == FileAction("a", "b", "c")
    assert FileAction("a", "b", "c") != FileAction("a", "b", "d")
    assert FileStatus("a", "b") != FileAction("a", "b", "")   # another type is never equal
    with pytest.raises(TypeError):
        hash(FileAction("a", "b", "c"))
    assert SyncReport("push").actions is not SyncReport("push").actions   # a list each


def test_frozen_ones_hash_by_value_and_refuse_changes():
    assert hash(RetryPolicy()) == hash(RetryPolicy()) and {Timeouts(), Timeouts()} == {Timeouts()}
    policy = RetryPolicy(attempts=3)
    with pytest.raises(AttributeError, match="frozen"):
        policy.attempts = 9
    with pytest.raises(AttributeError, match="frozen"):
        del policy.cap
    assert policy.attempts == 3


def test_replace_and_asdict_as_the_dataclasses_functions():
    s = Settings(project="P", concurrency=4)
    moved = records.replace(s, folder="/x", progress="none")
    assert (moved.project, moved.concurrency, moved.folder, moved.progress) == \
        ("P", 4, "/x", "none")
    assert s.folder == "." and moved is not s
    with pytest.raises(TypeError, match="no field 'nope'"):
        records.replace(s, nope=1)
    report = StatusReport(1, "/f", [FileStatus("a.py", "in-sync", local_size=3)])
    d = records.asdict(report)
    assert d == {"project_id": 1, "folder": "/f", "files": [
        {"name": "a.py", "state": "in-sync", "local_size": 3, "cloud_size": None,
         "local_modified": None, "cloud_modified": None, "note": ""}]}
    d["files"][0]["name"] = "changed"
    assert report.files[0].name == "a.py"   # a copy, as dataclasses.asdict makes


def test_checks_still_run_when_made():
    with pytest.raises(InvalidArgument, match="step must be positive"):
        ParameterRange("x", 1, 2, 0)
    with pytest.raises(InvalidArgument):
        Constraint("sharpe", "~", 1)
    with pytest.raises(ConfigError, match="API token is empty"):
        Credentials("42", Secret(""))
    assert ParameterRange.parse("a=1:3:1").values == [1.0, 2.0, 3.0]


def test_the_token_never_shows_in_a_repr():
    creds = Credentials("42", Secret("s3cr3t-token"))
    assert "s3cr3t-token" not in repr(creds) and "<hidden>" in repr(creds)
    with pytest.raises(TypeError, match="cannot be pickled"):   # nor copied out, as before
        records.asdict(creds)


def test_is_record_knows_dataclasses_too_once_they_exist():
    import dataclasses

    @dataclasses.dataclass
    class D:
        x: int = 1
    assert records.is_record(D()) and records.as_dict(D()) == {"x": 1}
    assert records.is_record(Timeouts()) and not records.is_record(D) and \
        not records.is_record({"x": 1})


def test_a_command_start_up_imports_neither_dataclasses_nor_inspect():
    """Together 44 ms of a 210 ms `qc-magics status` (see records.py). Run without
    site-packages (-S), whose .pth files may import anything."""
    root = Path(__file__).resolve().parent.parent
    code = ("import sys, qc_magics.cli, qc_magics.sync.folder, qc_magics.sync.status, "
            "qc_magics.api.client, qc_magics.commands.handlers, qc_magics.commands.render; "
            "print(sorted(m for m in ('dataclasses', 'inspect') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         check=True, cwd=root).stdout
    assert out.strip() == "[]"


def test_a_record_that_failed_half_way_still_has_a_repr():
    """A verbose traceback shows `self` of the __init__ that raised."""
    half = ParameterRange.__new__(ParameterRange)
    assert repr(half) == ("ParameterRange(name='<unset>', min='<unset>', max='<unset>', "
                          "step='<unset>', min_step=None)")   # None: the class's default


def test_code_that_takes_dataclasses_takes_records():
    """Found in review: pandas made one column of reprs from a list of report actions, and
    dataclasses.asdict/replace/fields refused them. Their fields appear once asked for."""
    import dataclasses

    import pandas as pd
    report = SyncReport("pull", actions=[FileAction("a.py", "pulled", "cloud-changed")])
    assert list(pd.DataFrame(report.actions).columns) == ["name", "action", "state", "detail"]
    assert dataclasses.is_dataclass(report) and dataclasses.asdict(report)["actions"] == [
        {"name": "a.py", "action": "pulled", "state": "cloud-changed", "detail": ""}]
    assert [f.name for f in dataclasses.fields(FileStatus)][-1] == "note"
    assert dataclasses.fields(FileStatus)[-1].default == ""
    assert dataclasses.replace(ParameterRange("f", 1, 3, 1), step=2).values == [1.0, 3.0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Timeouts().read = 1


def test_records_match_positional_patterns_and_a_cycle_reprs_as_dots():
    match FileAction("a.py", "pulled", "cloud-changed"):
        case FileAction(name, action, state):
            assert (name, action, state) == ("a.py", "pulled", "cloud-changed")
    status = FileStatus("a.py", "in-sync")
    status.note = status
    assert repr(status).endswith("note=...)")

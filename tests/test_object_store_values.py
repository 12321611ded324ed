"""qc_magics.store: values by the key's extension, round trips through the emulator over HTTP."""
from __future__ import annotations

import pickle
import subprocess
import sys

import pandas as pd
import pytest

from conftest import make_client
from qc_magics.errors import InvalidArgument
from qc_magics.store import MissingExtra, ObjectStore, PickleRefused, decode, encode, kind_of


@pytest.fixture
def store(emu):
    c = make_client(emu, organization_id=emu.app.state.organization_id)
    yield ObjectStore(c, poll_interval=0.01)
    c.close()


@pytest.fixture
def frame():
    return pd.DataFrame({"fold": [1, 2, 3], "sharpe": [1.21, -0.5, 0.0],
                         "name": ["a", "b", "c"]})


def test_csv_round_trip_keeps_values_and_dtypes(store, frame):
    assert store.put("results/folds.csv", frame) > 0
    back = store.get("results/folds.csv")
    pd.testing.assert_frame_equal(back, frame)
    assert str(back["fold"].dtype) == "int64" and str(back["sharpe"].dtype) == "float64"


def test_parquet_round_trip(store, frame):
    pytest.importorskip("pyarrow")
    frame["when"] = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"], utc=True)
    store.put("results/folds.parquet", frame)
    raw = store.get_bytes("results/folds.parquet")
    assert raw[:4] == b"PAR1"
    pd.testing.assert_frame_equal(store.get("results/folds.parquet"), frame)


def test_parquet_without_pyarrow_names_the_extra(frame, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingExtra) as e:
        encode("x.parquet", frame)
    assert 'pip install "qc-magics[parquet]"' in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(MissingExtra):
        decode("x.parquet", b"PAR1")


def test_json_values_and_records(store):
    store.put("cfg.json", {"lookback": 20, "symbols": ["SPY", "QQQ"]})
    assert store.get("cfg.json") == {"lookback": 20, "symbols": ["SPY", "QQQ"]}
    store.put("rows.json", [{"a": 1, "b": 2.5}, {"a": 3, "b": None}])
    rows = store.get("rows.json")
    assert isinstance(rows, pd.DataFrame) and list(rows.columns) == ["a", "b"]
    assert rows["a"].tolist() == [1, 3] and pd.isna(rows["b"][1])
    store.put("plain.json", [1, 2, 3])
    assert store.get("plain.json") == [1, 2, 3]


def test_a_frame_to_json_is_records(store, frame):
    store.put("f.json", frame)
    pd.testing.assert_frame_equal(store.get("f.json"), frame)


def test_pickles_are_refused_by_default_without_downloading(store, emu):
    store.client.set_object(None, "model.pkl", pickle.dumps({"w": [1, 2]}))
    emu.clear_log()
    with pytest.raises(PickleRefused) as e:
        store.get("model.pkl")
    assert "allow_pickle=True" in str(e.value) and "\n" not in str(e.value)
    assert emu.count("/object/get") == 0
    assert store.get("model.pkl", allow_pickle=True) == {"w": [1, 2]}


def test_get_many_is_one_download_job(store, emu, frame):
    store.put("m/a.csv", frame)
    store.put("m/b.json", {"k": "v"})
    emu.clear_log()
    got = store.get_many(["m/a.csv", "m/b.json"])
    pd.testing.assert_frame_equal(got["m/a.csv"], frame)
    assert got["m/b.json"] == {"k": "v"}
    assert [r["fields"].get("keys") for r in emu.requests
            if r["endpoint"] == "/object/get"][0] == ["m/a.csv", "m/b.json"]
    with pytest.raises(PickleRefused):
        store.get_many(["m/a.csv", "m/c.pickle"])


def test_other_keys_are_bytes_and_str_is_stored_as_utf8(store):
    store.put("notes.txt", "héllo")
    assert store.get("notes.txt") == "héllo".encode("utf-8")
    store.put("blob", b"\x00\x01")
    assert store.get("blob") == b"\x00\x01"


def test_ls_and_rm(store):
    store.put("d/a.json", {"x": 1})
    store.put("d/b.json", {"x": 2})
    assert [o["name"] for o in store.ls("d")] == ["a.json", "b.json"]
    assert store.properties("d/a.json")["size"] == len(b'{"x": 1}')
    store.rm("d/a.json")
    assert [o["name"] for o in store.ls("d")] == ["b.json"]


@pytest.mark.parametrize("key, value", [
    ("frame.bin", pd.DataFrame({"a": [1]})),
    ("x.csv", {"a": 1}),
    ("x.json", {"bad": float("nan")}),
    ("x.json", object()),
])
def test_values_that_cannot_be_stored_as_the_key_says_are_refused(key, value):
    with pytest.raises(InvalidArgument) as e:
        encode(key, value)
    assert "\n" not in str(e.value)


def test_kinds_by_extension():
    assert [kind_of(k) for k in ("a.CSV", "b.parquet", "c.pq", "d.json", "e.pickle",
                                  "f.joblib", "g.txt")] == [
        "csv", "parquet", "parquet", "json", "pickle", "pickle", "bytes"]


def test_importing_the_store_imports_no_pandas():
    code = ("import sys, qc_magics, qc_magics.store, qc_magics.api; "
            "assert 'pandas' not in sys.modules, 'pandas imported'")
    subprocess.run([sys.executable, "-c", code], check=True)

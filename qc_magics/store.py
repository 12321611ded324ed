"""The Object Store as values: `get` gives back what a key holds, `put` stores what you give.

What a key holds is decided by its extension (the Object Store keeps bytes and a mime type
guessed from the name): `.csv` and `.parquet` are DataFrames, `.json` is Python values (a list of
records comes back as a DataFrame), `.pkl`/`.pickle`/`.joblib` are pickles, refused unless
`allow_pickle=True` because unpickling runs whatever code the pickle names. Anything else is bytes.
pandas is imported only when a value needs it.

>>> store = ObjectStore(config.client())
>>> store.put("results/folds.csv", frame)          # written as CSV, by the extension
>>> store.get("results/folds.csv")                 # a DataFrame again
>>> store.ls("results")                            # [{key, name, size, folder, ...}, ...]
>>> store.rm("results/folds.csv")
"""
from __future__ import annotations

import io
import json
from typing import Any, Callable

from .errors import InvalidArgument, QCError

PICKLE_EXTENSIONS = (".pkl", ".pickle", ".joblib")
PARQUET_EXTRA = 'pip install "qc-magics[parquet]"'


class PickleRefused(QCError):
    """A pickle was not loaded: loading one runs code of its author's choosing."""


class MissingExtra(QCError):
    """A value needs an optional package that is not installed; the message names the extra."""


class UnreadableValue(QCError):
    """The bytes under a key are not what its extension says (a .csv that is no CSV, a .pkl
    that is no pickle); `get_bytes` still gives them as they are."""


def kind_of(key: str) -> str:
    """"csv", "parquet", "json", "pickle" or "bytes", by the key's extension.

    >>> kind_of("models/Rf.PKL")
    'pickle'
    """
    name = key.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith(".json"):
        return "json"
    if name.endswith(PICKLE_EXTENSIONS):
        return "pickle"
    return "bytes"


def decode(key: str, data: bytes, *, allow_pickle: bool = False) -> Any:
    """The value `data` holds, read as the key's extension says.

    >>> decode("a.json", b'{"x": 1}')
    {'x': 1}
    """
    kind = kind_of(key)
    if kind == "pickle" and not allow_pickle:
        raise PickleRefused(f"{key!r} is a pickle, and loading a pickle runs code chosen by "
                            "whoever wrote it; if you trust it, pass allow_pickle=True")
    try:
        return _decode(kind, key, data)
    except (MissingExtra, PickleRefused):
        raise
    except Exception as e:   # the bytes are not what the name says: one line, not a parser's
        raise UnreadableValue(f"{key!r} does not hold {kind} that can be read "
                              f"({type(e).__name__}: {e}); get_bytes gives its bytes") from None


def _decode(kind: str, key: str, data: bytes) -> Any:
    if kind == "csv":
        import pandas as pd
        return pd.read_csv(io.BytesIO(data))
    if kind == "parquet":
        import pandas as pd
        _need_pyarrow(key)
        return pd.read_parquet(io.BytesIO(data))
    if kind == "json":
        value = json.loads(data.decode("utf-8-sig"))
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            import pandas as pd
            return pd.DataFrame.from_records(value)
        return value
    if kind == "pickle":   # decode() refused it unless allow_pickle=True
        import pickle
        return pickle.loads(data)  # noqa: S301 - the caller said allow_pickle=True
    return data


def encode(key: str, value: Any) -> bytes:
    """The bytes to store for `value` under `key`: DataFrames as CSV or Parquet by the key's
    extension, dicts and lists as JSON, bytes as they are, str as UTF-8.

    >>> encode("a.json", {"x": 1})
    b'{"x": 1}'
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    kind = kind_of(key)
    if _is_frame(value):
        if kind == "csv":
            return value.to_csv(index=False).encode("utf-8")
        if kind == "parquet":
            _need_pyarrow(key)
            return value.to_parquet(index=False)
        if kind == "json":
            return value.to_json(orient="records", date_format="iso").encode("utf-8")
        raise InvalidArgument(f"cannot tell how to store a DataFrame as {key!r}: end the key "
                              "with .csv, .parquet or .json")
    if isinstance(value, (dict, list, tuple, int, float, bool)) or value is None:
        if kind not in ("json", "bytes"):
            raise InvalidArgument(f"{key!r} says {kind}, but the value is a "
                                  f"{type(value).__name__}: end the key with .json")
        try:
            return json.dumps(value, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"{key!r}: the value cannot be written as JSON ({e})") from None
    raise InvalidArgument(f"cannot store a {type(value).__name__} as {key!r}: give a DataFrame, "
                          "a dict or list (JSON), str or bytes (pickle it yourself if you must)")


class ObjectStore:
    """One organization's Object Store through a QCClient; `organization_id=None` is the
    credentials' organization. Progress of downloads goes to `progress` (one line per step)."""

    def __init__(self, client, organization_id: str | None = None, *,
                 progress: Callable[[str], None] | None = None, poll_interval: float = 3.0,
                 timeout: float = 300.0):
        self.client = client
        self.organization_id = organization_id
        self.progress = progress
        self.poll_interval = poll_interval
        self.timeout = timeout

    def ls(self, path: str = "/") -> list[dict[str, Any]]:
        """The files and folders directly in `path`."""
        return self.client.list_objects(self.organization_id, path)["objects"]

    def properties(self, key: str) -> dict[str, Any]:
        return self.client.object_properties(self.organization_id, key)

    def get_bytes(self, key: str) -> bytes:
        return self.client.get_objects(self.organization_id, [key], timeout=self.timeout,
                                       poll_interval=self.poll_interval,
                                       progress=self.progress)[key]

    def get(self, key: str, *, allow_pickle: bool = False) -> Any:
        """What `key` holds, as its extension says (see `decode`). A pickle is refused before
        anything is downloaded unless `allow_pickle=True`."""
        if kind_of(key) == "pickle" and not allow_pickle:
            decode(key, b"", allow_pickle=False)   # raises PickleRefused, nothing fetched
        return decode(key, self.get_bytes(key), allow_pickle=allow_pickle)

    def get_many(self, keys: list[str], *, allow_pickle: bool = False) -> dict[str, Any]:
        """Several keys in one download job: {key: value}. Pickles are checked first, so a
        refused one costs no download."""
        for key in keys:
            if kind_of(key) == "pickle" and not allow_pickle:
                decode(key, b"", allow_pickle=False)
        raw = self.client.get_objects(self.organization_id, keys, timeout=self.timeout,
                                      poll_interval=self.poll_interval, progress=self.progress)
        return {k: decode(k, raw[k], allow_pickle=allow_pickle) for k in keys}

    def put(self, key: str, value: Any) -> int:
        """Store `value` under `key` (see `encode`); returns the number of bytes stored."""
        data = encode(key, value)
        self.client.set_object(self.organization_id, key, data)
        return len(data)

    def rm(self, key: str) -> None:
        self.client.delete_object(self.organization_id, key)


def _is_frame(value: Any) -> bool:
    # Without importing pandas: a value can only be a DataFrame if pandas is already loaded.
    import sys
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, pd.DataFrame)


def _need_pyarrow(key: str) -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise MissingExtra(f"{key!r} is Parquet, which needs pyarrow: {PARQUET_EXTRA}") from None

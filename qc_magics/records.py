"""Plain data classes for what every command loads, without the `dataclasses` module's start-up.

`@dataclass` writes each class's methods as source text and compiles them when the module is
imported (~1.3 ms a class on these machines), and importing `dataclasses` imports `inspect`
(with ast, dis and tokenize, ~15 ms): measured, 44 ms of a 210 ms `qc-magics status`, for the
20 classes on its path. A record declares its fields as annotations, in order, as a dataclass
does, and writes its own `__init__` (a real signature for help() and editors); the record
gives it what @dataclass would have: repr, equality (and a hash when frozen), `replace` and
`asdict`. Classes off the commands' start-up path stay dataclasses.

>>> class Point(FrozenRecord):
...     x: int
...     y: int = 0
...
...     def __init__(self, x: int, y: int = 0):
...         self._set(x=x, y=y)
>>> replace(Point(1), y=2)
Point(x=1, y=2)
"""
from __future__ import annotations

from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    """Fields: the class's annotations (its bases' first), except ClassVar ones."""

    __fields__: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: list[str] = list(cls.__fields__)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if "ClassVar" not in str(annotation) and name not in names:
                names.append(name)
        cls.__fields__ = tuple(names)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__fields__)

    def __repr__(self) -> str:
        # getattr with a default: a verbose traceback shows `self` of an __init__ that failed
        # half-way, and a repr that raised would break the traceback itself.
        shown = ", ".join(f"{name}={getattr(self, name, '<unset>')!r}"
                          for name in self.__fields__)
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None   # mutable: as a dataclass with eq and not frozen


class FrozenRecord(Record):
    """A record whose fields cannot be set after __init__ (which sets them with `_set`)."""

    def _set(self, **values: Any) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r} of a frozen "
                             f"{type(self).__qualname__}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r} of a frozen "
                             f"{type(self).__qualname__}")

    def __hash__(self) -> int:
        return hash(self._values())


def replace(record: R, **changes: Any) -> R:
    """A new record like `record`, with `changes` (as dataclasses.replace)."""
    unknown = set(changes) - set(record.__fields__)
    if unknown:
        raise TypeError(f"{type(record).__qualname__} has no field {sorted(unknown)[0]!r}")
    values = {name: getattr(record, name) for name in record.__fields__}
    return type(record)(**{**values, **changes})


def asdict(value: Any) -> Any:
    """Fields as a dict, records and containers inside converted too (as dataclasses.asdict)."""
    if isinstance(value, Record):
        return {name: asdict(getattr(value, name)) for name in value.__fields__}
    if isinstance(value, (list, tuple)):
        return type(value)(asdict(v) for v in value)
    if isinstance(value, dict):
        return {asdict(k): asdict(v) for k, v in value.items()}
    import copy
    return copy.deepcopy(value)


def is_record(value: Any) -> bool:
    """A record, or a dataclass instance (any class of either kind converts with as_dict)."""
    if isinstance(value, Record):
        return True
    import sys
    dataclasses = sys.modules.get("dataclasses")   # never imported: nothing is a dataclass
    return dataclasses is not None and dataclasses.is_dataclass(value) \
        and not isinstance(value, type)


def as_dict(value: Any) -> dict:
    """asdict for a record or a dataclass instance."""
    if isinstance(value, Record):
        return asdict(value)
    import dataclasses
    return dataclasses.asdict(value)

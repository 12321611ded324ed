"""Plain data classes for what every command loads, without the `dataclasses` module's start-up.

`@dataclass` writes each class's methods as source text and compiles them when the module is
imported (~1.3 ms a class on these machines), and importing `dataclasses` imports `inspect`
(with ast, dis and tokenize, ~15 ms): measured, 44 ms of a 210 ms `qc-magics status`, for the
20 classes on its path. A record declares its fields as annotations, in order, as a dataclass
does, and writes its own `__init__` (a real signature for help() and editors); the record
gives it what @dataclass would have: repr, equality (and a hash when frozen), positional
patterns, `replace` and `asdict`. To code that takes dataclasses (dataclasses.asdict, replace,
fields and is_dataclass; pandas' DataFrame of a list of them) a record is one: its
`__dataclass_fields__` are made the first time something asks for them, which is when
`dataclasses` is imported, not before. Classes off the commands' start-up path stay
dataclasses.

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

from reprlib import recursive_repr   # imported by collections anyway: free here
from typing import Any, ClassVar, TypeVar

R = TypeVar("R", bound="Record")
_MISSING = object()


class _DataclassFields:
    """A record class's `__dataclass_fields__`, made when first asked for (see the module's
    docstring): dataclasses.Field objects for its fields, with their defaults."""

    def __init__(self) -> None:
        self._made: dict[type, dict] = {}

    def __get__(self, instance: Any, owner: type) -> dict:
        fields = self._made.get(owner)
        if fields is None:
            import dataclasses
            fields = {}
            for name in owner.__fields__:
                default = getattr(owner, name, _MISSING)
                field = dataclasses.field() if default is _MISSING else \
                    dataclasses.field(default=default)
                field.name, field.type = name, _annotation(owner, name)
                field._field_type = dataclasses._FIELD   # a plain field, as @dataclass marks it
                fields[name] = field
            self._made[owner] = fields
        return fields


def _annotation(owner: type, name: str) -> Any:
    for klass in owner.__mro__:
        annotations = klass.__dict__.get("__annotations__", {})
        if name in annotations:
            return annotations[name]
    return Any


class Record:
    """Fields: the class's annotations (its bases' first), except ClassVar ones."""

    __fields__: ClassVar[tuple[str, ...]] = ()
    __dataclass_fields__: ClassVar[dict] = _DataclassFields()   # type: ignore[assignment]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: list[str] = list(cls.__fields__)
        for name, annotation in cls.__dict__.get("__annotations__", {}).items():
            if "ClassVar" not in str(annotation) and name not in names:
                names.append(name)
        cls.__fields__ = cls.__match_args__ = tuple(names)

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__fields__)

    @recursive_repr()
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
        from dataclasses import FrozenInstanceError   # an AttributeError, as a dataclass raises
        raise FrozenInstanceError(f"cannot assign to field {name!r} of a frozen "
                                  f"{type(self).__qualname__}")

    def __delattr__(self, name: str) -> None:
        from dataclasses import FrozenInstanceError
        raise FrozenInstanceError(f"cannot delete field {name!r} of a frozen "
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
    if isinstance(value, tuple) and hasattr(value, "_fields"):   # a named tuple
        return type(value)(*[asdict(v) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(asdict(v) for v in value)
    if isinstance(value, dict):
        return type(value)((asdict(k), asdict(v)) for k, v in value.items())
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

"""A request as a route sees it: fields from a JSON body, a form body or a query string, coerced.

The real service takes JSON, form encoding (lean-cli sends `parameters[0][key]=...`) and GET query
strings alike, so every field may arrive as a string; routes ask for the type they need here.
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from ..errors import Wording


class RouteError(Exception):
    """An application error: answered as HTTP 200 `{"success": false, "errors": [...]}`."""

    def __init__(self, *errors: str):
        self.errors = list(errors)
        super().__init__("; ".join(errors))


class BadRequest(Exception):
    """The body could not be read at all (HTTP 400)."""


_KEY_PART = re.compile(r"\[([^\]]*)\]")


def parse_form(text: str) -> dict[str, Any]:
    """`a=1&p[0][key]=x&p[0][min]=1` -> {"a": "1", "p": [{"key": "x", "min": "1"}]}."""
    root: dict[str, Any] = {}
    for raw_key, value in parse_qsl(text, keep_blank_values=True):
        head = raw_key.split("[", 1)[0]
        parts = [head] + _KEY_PART.findall(raw_key[len(head):])
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt: Any = value if last else ({} if not parts[i + 1].isdigit() else [])
            if isinstance(node, list):
                idx = int(part) if part.isdigit() else len(node)
                while len(node) <= idx:
                    node.append(None)
                if node[idx] is None or last:
                    node[idx] = nxt
                node = node[idx]
            else:
                if part not in node or last:
                    node[part] = nxt
                node = node[part]
    return root


def parse_body(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    fields: dict[str, Any] = parse_form(query) if query else {}
    if not raw.strip():
        return fields
    ctype = content_type.split(";")[0].strip().lower()
    text = raw.decode("utf-8", errors="replace")
    if ctype == "application/x-www-form-urlencoded":
        fields.update(parse_form(text))
        return fields
    try:
        data = json.loads(text)
    except ValueError as e:
        raise BadRequest(f"The request body is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object")
    fields.update(data)
    return fields


_MISSING = object()


class Request:
    def __init__(self, fields: dict[str, Any], path: str):
        self.fields = fields
        self.path = path

    def has(self, name: str) -> bool:
        return self.fields.get(name) not in (None, "")

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        value = self.fields.get(name)
        if value in (None, ""):
            if default is _MISSING:
                raise RouteError(Wording.MISSING_FIELD.format(field=name))
            return default
        return value

    def int(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        try:
            if isinstance(value, bool):
                raise ValueError
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(value)
        except (TypeError, ValueError):
            raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected an integer"))

    def float(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        return as_float(value, name)

    def str(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected a string"))
        return str(value)

    def text(self, name: str) -> str | None:
        """A string field that may be empty (file content): None only when absent."""
        value = self.fields.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected a string"))
        return value

    def bool(self, name: str, default: bool = False) -> bool:
        value = self.fields.get(name)
        if value in (None, ""):
            return default
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def list(self, name: str) -> list:
        value = self.fields.get(name)
        if value in (None, ""):
            return []
        if isinstance(value, dict):  # form bodies may give {"0": {...}, "1": {...}}
            value = [value[k] for k in sorted(value, key=lambda k: int(k) if k.isdigit() else 0)]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected a list"))
        if not isinstance(value, list):
            raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected a list"))
        return [v for v in value if v is not None]

    def mapping(self, name: str) -> dict:
        value = self.fields.get(name)
        if value in (None, "", []):
            return {}
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected an object"))
        if not isinstance(value, dict):
            raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected an object"))
        return value


def as_float(value: Any, name: str) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise RouteError(Wording.BAD_FIELD.format(field=name, reason="expected a number")) from None


class Encoded(dict):
    """A route's answer whose JSON is already made: `fields` are the answer's own keys, each
    value JSON text (bytes), in order; the app adds the envelope. A dict (empty) so that code
    reading answers as dicts still sees one; only the app's encoder looks inside."""

    def __init__(self, fields: list[tuple[str, bytes]]):
        super().__init__()
        self.fields = fields

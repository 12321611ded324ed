"""Validation against the official QuantConnect OpenAPI spec in ../shared/reference.

Two liberties, both forced by the spec itself:
- every `oneOf` is read as `anyOf`: the spec's alternatives (LoadingResponse | ReadChartResponse,
  RestResponse | ProjectFilesResponse, ...) have no required fields that tell them apart, so a valid
  answer matches several and strict oneOf would reject every answer;
- /files/patch names `#/components/schemas/Request`, which does not exist; the schema it means is
  `PatchFileRequest`.
Formats (date-time) are not checked: the service's own timestamps ("2024-01-02 10:00:00") are not
RFC 3339.
"""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml
from openapi_schema_validator import OAS30Validator

# A copy of the official spec (QuantConnect/Documentation @04a17f03) lives beside the tests so a
# fresh clone can run them; test_spec_copy_matches_the_shared_reference keeps it honest.
SPEC_NAME = "quantconnect-platform-2.0.0.yaml"
SPEC_PATH = Path(__file__).resolve().parent / "reference" / SPEC_NAME
SHARED_SPEC_PATH = Path(__file__).resolve().parents[2] / "shared" / "reference" / SPEC_NAME
# Where the real service is documented (API-NOTES.md) to differ from the schema.
KNOWN_GAPS = {
    # "The schema marks projectId required, but leaving it out lists all projects."
    ("/projects/read", "<root>: 'projectId' is a required property"),
}
BROKEN_REFS = {"#/components/schemas/Request": "#/components/schemas/PatchFileRequest"}


def _relax(node):
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "oneOf":
                k = "anyOf"
            if k == "$ref" and v in BROKEN_REFS:
                v = BROKEN_REFS[v]
            if k == "required" and not isinstance(v, list):
                continue  # the mis-indented `required: true` of optimizations/update|abort|delete
            out[k] = _relax(v)
        return out
    if isinstance(node, list):
        return [_relax(v) for v in node]
    return node


@functools.lru_cache(maxsize=1)
def spec() -> dict:
    return _relax(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))


def _schema(ref_or_schema: dict) -> dict:
    s = copy.deepcopy(ref_or_schema)
    s["components"] = spec()["components"]
    return s


def response_schema(endpoint: str) -> dict:
    op = spec()["paths"][endpoint]["post"]
    return _schema(op["responses"]["200"]["content"]["application/json"]["schema"])


def request_schema(endpoint: str) -> dict:
    """The request body's schema; an endpoint that takes no body gets one that allows only {}."""
    op = spec()["paths"][endpoint]["post"]
    if "requestBody" not in op:
        return {"type": "object", "maxProperties": 0}
    return _schema(op["requestBody"]["content"]["application/json"]["schema"])


def errors(instance: dict, schema: dict) -> list[str]:
    v = OAS30Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message[:200]}"
            for e in v.iter_errors(instance)]


def has_path(endpoint: str) -> bool:
    return endpoint in spec()["paths"]

"""Validation against the official QuantConnect OpenAPI spec in ../shared/reference.

Two liberties forced by the spec itself:
- every `oneOf` is read as `anyOf`: the spec's alternatives (LoadingResponse | ReadChartResponse,
  RestResponse | ProjectFilesResponse, ...) have no required fields that tell them apart, so a valid
  answer matches several and strict oneOf would reject every answer;
- /files/patch names `#/components/schemas/Request`, which does not exist; the schema it means is
  `PatchFileRequest`.
Formats (date-time) are not checked: the service's own timestamps ("2024-01-02 10:00:00") are not
RFC 3339.

Where the real service differs from the spec, the emulator follows the service (REAL-SERVICE.md)
and the schema is widened here to admit what the service sends: `REAL_SERVICE` and
`DECIMAL_STRINGS` below, each entry with its source. Rules the schema cannot express (refusals,
the lock, the Recycle Bin) are listed in `REAL_SERVICE_RULES`, and endpoints the spec lacks in
`BEYOND_THE_SPEC`.
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

_NOTHING_YET = {"type": "array", "maxItems": 0}
# (schema, property) -> the schema the real service's answers match instead.
REAL_SERVICE = {
    # null when there is no error: lean-cli models them Optional[str] = None and branches on
    # `is None` (lean-cli lean/models/api.py QCBacktest, commands/cloud/backtest.py).
    ("BacktestResult", "error"): {"type": "string", "nullable": True},
    ("BacktestResult", "stacktrace"): {"type": "string", "nullable": True},
    # `[]` until the statistics exist (QCBacktest: Union[Dict[str, str], List[Any]]).
    ("BacktestResult", "statistics"): {
        "anyOf": [{"$ref": "#/components/schemas/StatisticsResult"}, _NOTHING_YET]},
    # null for an organization without a card (Lean Tests/Api/AccountTests.cs; QCAccount).
    ("AccountResponse", "card"): {"anyOf": [{"$ref": "#/components/schemas/Card"},
                                            {"enum": [None]}]},
    # null when the event has no message (Lean Common/Orders/Serialization/
    # SerializedOrderEvent.cs, Tests/Common/Orders/ReadOrdersResponseJsonConverterTests.cs). Fee
    # fields and isInTheMoney are left out when there is no fee / it is false: the spec requires
    # neither.
    ("OrderEvent", "message"): {"type": "string", "nullable": True},
    # `[]` while empty (lean-cli QCOptimization.parse_empty_lists).
    ("Optimization", "backtests"): {"anyOf": [{"type": "object"}, _NOTHING_YET]},
    ("Optimization", "runtimeStatistics"): {
        "anyOf": [{"$ref": "#/components/schemas/OptimizationRuntimeStatistics"}, _NOTHING_YET]},
    # Positional percent numbers: the older list (Lean OptimizationBacktestJsonConverter
    # .WriteJson, lean-cli List[float]) or the object keyed "0".."24" plus custom statistic names
    # (Lean PR #8984).
    ("OptimizationBacktest", "statistics"): {"anyOf": [
        {"type": "array", "items": {"type": "number"}},
        {"type": "object", "additionalProperties": {"type": "number"}}]},
}
# Lean writes decimals as strings ("2.7145": Common/Util/JsonRoundingConverter, "we serialize
# decimal as string"), so every number of these schemas may come as a decimal string. Their
# closedTrades carry `symbols` (a list), `id`, `isWin`, `orderIds` and no `symbol` (Lean
# Common/Statistics/Trade.cs, 7fb246511): the spec requires none of them.
DECIMAL_STRINGS = ("TradeStatistics", "PortfolioStatistics", "Trade")
_DECIMAL = {"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$"}
# Behaviour the emulator takes from the real service where the spec says otherwise or nothing.
REAL_SERVICE_RULES = (
    "files/create without content makes an empty file; content '' is refused (mcp-server tests)",
    "files/update refuses content ''; files/update and files/create answer without `files`",
    "projects/read refuses start >= end (mcp-server test_project.py)",
    "projects/update refuses another project's name, and takes lean-cli's form fields files[i], "
    "parameters[i] (read back as [{key, value}]), libraries[i] (lean-cli project_client.py)",
    "projects/delete moves the project to 'Recycle Bin/<name>' (Lean ProjectTests)",
    "projects/create trims the name's slashes and may answer another name (lean-cli push_manager)",
    "new C# projects hold Main.cs and Research.ipynb (mcp-server test_files.py)",
    "a write without codeSourceId is forced; another codeSourceId is refused while the lock is "
    "held, with 'write permission' in the error (lean-cli 6cc75311, issue #586)",
)
# Served although the spec has no path for them.
BEYOND_THE_SPEC = {"/authenticate", "/organizations/read", "/organizations/list"}


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
    relaxed = _relax(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8")))
    schemas = relaxed["components"]["schemas"]
    for (schema, prop), replacement in REAL_SERVICE.items():
        assert prop in schemas[schema]["properties"], f"the spec has no {schema}.{prop}"
        schemas[schema]["properties"][prop] = copy.deepcopy(replacement)
    for schema in DECIMAL_STRINGS:
        props = schemas[schema]["properties"]
        numbers = [name for name, p in props.items() if p.get("type") == "number"]
        assert numbers, f"the spec has no numbers in {schema}"
        for name in numbers:
            props[name] = {"anyOf": [props[name], _DECIMAL]}
    return relaxed


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

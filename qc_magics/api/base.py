"""What every group of endpoints shares: the transport, the identity, argument checks."""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from ..credentials import Credentials
from ..errors import InvalidArgument
from .transport import Transport


class Endpoints:
    transport: Transport
    credentials: Credentials
    code_source_id: str

    def _post(self, endpoint: str, body: Mapping[str, Any] | None = None, *,
              idempotent: bool = True,
              decode: Callable[[bytes], dict | None] | None = None) -> dict:
        return self.transport.post(endpoint, body, idempotent=idempotent, decode=decode)


def need_project_id(project_id: Any) -> int:
    """Project ids are integers; accept "123" too, refuse anything else before any request."""
    try:
        value = int(project_id)
    except (TypeError, ValueError):
        raise InvalidArgument(f"project id must be a whole number, not {project_id!r}") from None
    if isinstance(project_id, float) and project_id != value or value <= 0:
        raise InvalidArgument(f"project id must be a positive whole number, not {project_id!r}")
    return value


def need_name(name: Any, what: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"{what} must be a non-empty string, not {name!r}")
    return name


def need_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidArgument(f"{what} must be a non-empty string, not {value!r}")
    return value.strip()


def need_window(start: int, end: int) -> tuple[int, int]:
    """Orders and insights come in windows with end - start <= 100: the service accepts 100 and
    refuses 200, whatever the spec's "less than 100" says (QuantConnect's own live tests)."""
    if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end <= start:
        raise InvalidArgument(f"need 0 <= start < end, got start={start!r}, end={end!r}")
    if end - start > 100:
        raise InvalidArgument(f"end - start must be at most 100 (got {end - start}); "
                              "read in windows of 100")
    return start, end


def need_finite(value: Any, what: str) -> float:
    """A real, finite number (not a bool, NaN or infinity), refused before any request.

    Why: NaN compares false with everything, so a NaN limit or step slips past every `<` check
    (a NaN cost cap once let a paid optimization start without a yes).
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidArgument(f"{what} must be a number, not {value!r}")
    try:
        number = float(value)
    except OverflowError:   # an int too large for a float
        raise InvalidArgument(f"{what} must be a finite number, not {value!r}") from None
    if not math.isfinite(number):
        raise InvalidArgument(f"{what} must be a finite number, not {value!r}")
    return number

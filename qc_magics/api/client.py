"""`QCClient`: one method per QuantConnect API v2 endpoint, plain Python values in and out."""
from __future__ import annotations

import time
from typing import Any, Callable

from .. import config
from ..errors import AuthenticationError
from .backtests import BacktestEndpoints
from .optimizations import OptimizationEndpoints
from .projects import ProjectEndpoints
from .transport import RetryPolicy, Timeouts, Transport

CODE_SOURCE_ID = "qc-magics"


class QCClient(ProjectEndpoints, BacktestEndpoints, OptimizationEndpoints):
    """A client of the QuantConnect REST API v2.

    Credentials come from the arguments, else the environment (QC_USER_ID, QC_API_TOKEN,
    QC_ORGANIZATION_ID, QC_API_URL), else `qc-magics login`'s file, else lean-cli's
    ~/.lean/credentials. Building a client does no network I/O.

    >>> client = QCClient()
    >>> [p["name"] for p in client.list_projects()]
    """

    def __init__(self, user_id: str | int | None = None, api_token: str | None = None, *,
                 organization_id: str | None = None, api_url: str | None = None,
                 timeouts: Timeouts | None = None, retry: RetryPolicy | None = None,
                 pool_size: int = 16, code_source_id: str = CODE_SOURCE_ID,
                 clock: Callable[[], float] = time.time):
        self.credentials = config.resolve(
            user_id=None if user_id is None else str(user_id), api_token=api_token,
            organization_id=organization_id, api_url=api_url)
        self.code_source_id = code_source_id
        self.transport = Transport(self.credentials, timeouts=timeouts, retry=retry,
                                   pool_size=pool_size, clock=clock)

    @property
    def user_id(self) -> str:
        return self.credentials.user_id

    @property
    def api_url(self) -> str:
        return self.credentials.api_url

    @property
    def pool_size(self) -> int:
        """How many requests this client can have in flight at once without waiting."""
        return self.transport.pool_size

    def __repr__(self) -> str:
        return f"QCClient(user_id={self.user_id!r}, api_url={self.api_url!r})"

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "QCClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def authenticate(self) -> bool:
        """Check the credentials with `/authenticate`; True, or AuthenticationError."""
        data = self.transport.post("/authenticate", {}, check_success=False)
        if data.get("success") is not True:
            raise AuthenticationError(
                "QuantConnect refused the credentials: check the user id and API token, and "
                "this computer's clock. The service said: "
                + "; ".join(str(e) for e in data.get("errors") or ["(nothing)"]))
        return True

    def read_account(self) -> dict[str, Any]:
        """The organization's account: organizationId, creditBalance (QCC), card."""
        data = self._post("/account/read", {})
        return {k: v for k, v in data.items() if k not in ("success", "errors")}

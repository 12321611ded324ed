"""`QCClient`: one method per QuantConnect API v2 endpoint, plain Python values in and out."""
from __future__ import annotations

import time
from typing import Any, Callable

from ..credentials import DEFAULT_API_URL, Credentials, Secret, check_api_url
from ..errors import AuthenticationError, ConfigError
from .answers import auth_message, errors_of, strip_envelope
from .backtests import BacktestEndpoints
from .objectstore import ObjectStoreEndpoints
from .optimizations import OptimizationEndpoints
from .projects import ProjectEndpoints
from .transport import RetryPolicy, Timeouts, Transport

CODE_SOURCE_ID = "qc-magics"


class QCClient(ProjectEndpoints, BacktestEndpoints, OptimizationEndpoints, ObjectStoreEndpoints):
    """A client of the QuantConnect REST API v2.

    Credentials are values: pass `credentials` (a `Credentials`), or a user id and token (the
    API URL defaults to QuantConnect's). The client never looks for them: `config.client()` finds
    them (the environment, `qc-magics login`'s file, lean-cli's ~/.lean/credentials) and builds
    one. Building a client does no network I/O.

    >>> client = QCClient(user_id="12345", api_token=token)
    >>> [p["name"] for p in config.client().list_projects()]   # credentials found for you
    """

    def __init__(self, user_id: str | int | None = None,
                 api_token: str | Secret | None = None, *,
                 organization_id: str | None = None, api_url: str | None = None,
                 timeouts: Timeouts | None = None, retry: RetryPolicy | None = None,
                 pool_size: int = 16, code_source_id: str = CODE_SOURCE_ID,
                 clock: Callable[[], float] = time.time, credentials: Credentials | None = None):
        # The token becomes a Secret at once: a traceback with locals shows this frame too.
        if api_token is not None and not isinstance(api_token, Secret):
            api_token = Secret(str(api_token))
        self.credentials = _credentials(credentials, user_id, api_token, organization_id,
                                        api_url)
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
        # Safe on a half-built client too: verbose tracebacks repr the `self` of __init__.
        credentials = getattr(self, "credentials", None)
        if credentials is None:
            return "QCClient(<not configured>)"
        return f"QCClient(user_id={credentials.user_id!r}, api_url={credentials.api_url!r})"

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
            raise AuthenticationError(auth_message(errors_of(data) or ["(nothing)"]))
        return True

    def read_account(self) -> dict[str, Any]:
        """The organization's account: organizationId, creditBalance (QCC, a decimal), and card
        (None when the organization has no card on file)."""
        return strip_envelope(self._post("/account/read", {}))


def _credentials(credentials: Credentials | None, user_id: str | int | None,
                 api_token: Secret | None, organization_id: str | None,
                 api_url: str | None) -> Credentials:
    """The credentials from the values given: `credentials`, or the separate values, not both.

    Nothing is looked up here (no environment, no file): a client made of values talks to the
    account those values name, whatever the machine holds.
    """
    separate = (user_id, api_token, organization_id, api_url)
    if credentials is not None:
        if any(v is not None for v in separate):
            raise ConfigError("QCClient takes credentials= or user_id, api_token, "
                              "organization_id and api_url, not both")
        return credentials
    if user_id is None or api_token is None:
        raise ConfigError("QCClient takes credentials as values: pass user_id= and api_token= "
                          "(or credentials=). To use the environment (QC_USER_ID, QC_API_TOKEN) "
                          "or the credentials `qc-magics login` or `lean login` saved, build "
                          "the client with qc_magics.config.client()")
    return Credentials(user_id=str(user_id), api_token=api_token,
                       organization_id=organization_id,
                       api_url=check_api_url(api_url or DEFAULT_API_URL))

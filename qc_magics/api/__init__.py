"""The HTTP client of QuantConnect API v2. Knows HTTP and QuantConnect's JSON; no pandas, no disk."""
from .client import QCClient
from .optimizations import Constraint, ParameterRange
from .transport import RetryPolicy, Timeouts

__all__ = ["QCClient", "ParameterRange", "Constraint", "RetryPolicy", "Timeouts"]

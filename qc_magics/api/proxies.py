"""Which proxy the environment names for a host, read as requests read it.

http_proxy, https_proxy, all_proxy and no_proxy (lower case wins over upper case; no_proxy takes
names, name suffixes, host:port, CIDR networks and `*`). Read once per connection pool by
api/wire.py, not on every request.
"""
from __future__ import annotations

import os


def proxy_for(scheme: str, host: str, port: int) -> str | None:
    """The proxy URL the environment gives for this host, as requests read it, or None."""
    env: dict[str, str] = {}
    for name, value in os.environ.items():   # upper case first: lower case wins
        low = name.lower()
        if low.endswith("_proxy") and value and name == name.upper():
            env[low] = value
    for name, value in os.environ.items():
        low = name.lower()
        if low.endswith("_proxy") and value and name != name.upper():
            env[low] = value
    if "REQUEST_METHOD" in os.environ:   # CGI: HTTP_PROXY may come from a request header
        env.pop("http_proxy", None)
    proxy = env.get(scheme + "_proxy") or env.get("all_proxy")
    if proxy is None or _bypassed(host, port, env.get("no_proxy", "")):
        return None
    return proxy


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.replace(" ", ",").split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:   # a network in CIDR form matches an IP address host
            import ipaddress
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name, _, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False


__all__ = ["proxy_for"]

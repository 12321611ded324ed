"""HTTP/1.1 on plain sockets: a keep-alive connection pool per host.

Why not `requests`: importing it (with urllib3, charset_normalizer, idna, cookies) took ~0.13 s of
a `qc-magics status` that should take 0.25 s in all, and it spent ~0.7 ms per request scanning the
environment for proxies. Why not http.client either: it imports the email package (with datetime
and calendar) and ssl, ~30 ms of start-up for what a few dozen lines do here; ssl is imported only
for an https URL. What requests did for us is kept here, and nothing else:
- a pool of keep-alive connections per (scheme, host, port), at most `maxsize` in use at once
  (a caller beyond that waits for one, as requests' `pool_block=True` did), thread-safe; an idle
  connection the server has closed is noticed before reuse and replaced;
- a connect timeout (TCP connect and TLS handshake) and a read timeout (each wait for bytes);
- TLS with certificate and host name verification: certifi's bundle when installed (as requests
  used), or $REQUESTS_CA_BUNDLE / $CURL_CA_BUNDLE when set, else the system's store;
- proxies from the environment as requests honoured them (http_proxy, https_proxy, all_proxy and
  no_proxy, lower case first; an https URL goes through an HTTP proxy with CONNECT; user:password
  in the proxy URL becomes Proxy-Authorization), read once per pool, not on every request;
- gzip/deflate answers are decoded (requests asked for them too).
Not kept: cookies, .netrc, redirects (the API answers POSTs directly; a redirect comes back as
its status), SOCKS proxies (requests needed an extra package for those too).

Failures are raised as the exception classes of http1.py (one connection's reading and writing),
each saying whether the request can have reached the service: that decides whether a create may
be sent again.
"""
from __future__ import annotations

import base64
import os
import select
import socket
import threading
import zlib
from contextlib import contextmanager
from typing import Callable, Iterable, Iterator
from urllib.parse import unquote, urlsplit

from .http1 import (MAX_HEADERS, MAX_LINE, USER_AGENT, ConnectionFailed,  # noqa: F401 (wire.*)
                    ConnectTimeout, Connection, Disconnected, Headers, NeverSent, ProtocolError,
                    ReadTimeout, Response, WireError, _authority)
from .exchange import Exchange
from .proxies import proxy_for


Sign = Callable[[Callable[[str, str], None]], None]


class Pool:
    """Keep-alive connections to any number of hosts, at most `maxsize` in use per host."""

    def __init__(self, maxsize: int = 16, timeouts: tuple[float, float] = (10.0, 60.0),
                 user_agent: str = USER_AGENT):
        self.maxsize = max(1, maxsize)
        self.connect_timeout, self.read_timeout = timeouts
        self.user_agent = user_agent
        self._lock = threading.Lock()
        self._idle: dict[tuple, list[Connection]] = {}
        self._slots: dict[tuple, threading.BoundedSemaphore] = {}
        self._routes: dict[tuple, tuple] = {}
        self._tls = None

    # -- the public call ---------------------------------------------------------------------

    def request(self, method: str, url: str, body: bytes = b"",
                headers: Iterable[tuple[str, str]] = (), sign: Sign | None = None) -> Response:
        """Send one request and read its whole answer. `sign(put)` adds headers that must not sit
        in any variable (the signature). Never sent twice: a kept-alive connection the server
        closed while idle is noticed before use and replaced, but one closed while the request
        goes out fails as ConnectionFailed, and the caller's retry policy decides (as urllib3's
        did with no retries of its own)."""
        key, target = _target(url)
        slot = self._slot(key)
        slot.acquire()
        try:
            return self._receive(key, self._send(key, method, target, body, headers, sign),
                                 method)
        finally:
            slot.release()

    def exchange(self, method: str, url: str, bodies: list[bytes],
                 headers: Iterable[tuple[str, str]] = (), sign: Sign | None = None, *,
                 concurrency: int | None = None) -> Exchange:
        """Each body sent as a request of its own, up to `concurrency` at once (at most the
        pool's `maxsize`), all from the calling thread: see Exchange.

        >>> with pool.exchange("POST", url, bodies, sign=auth, concurrency=16) as answers:
        ...     for position, answer in answers:   # a Response, or the WireError met
        ...         use(answer)
        ...         answers.pump()
        """
        key, target = _target(url)
        slot = self._slot(key)
        width = 0
        try:
            if bodies:   # one slot waited for; more only if free (two exchanges never deadlock)
                slot.acquire()
                width = 1
            while 0 < width < min(concurrency or self.maxsize, len(bodies)) \
                    and slot.acquire(blocking=False):
                width += 1
            return Exchange(self, key, method, target, bodies, tuple(headers), sign, width)
        except BaseException:   # Ctrl-C, or no selector to be had: the slots go back
            for _ in range(width):
                slot.release()
            raise

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    # -- one attempt -------------------------------------------------------------------------

    def _send(self, key: tuple, method: str, target: str, body: bytes,
              headers: Iterable[tuple[str, str]], sign: Sign | None) -> Connection:
        """Send a request on a kept-alive connection or a new one; the connection, to read the
        answer from with _receive."""
        conn = self._take(key)
        if conn is None:
            conn, proxied = self._connect(key)
        else:
            proxied = self._route(key)[2]
        scheme, host, port = key
        with _failures(conn):
            if proxied and scheme == "http":   # a plain proxy takes the absolute URL
                target = f"http://{_authority(host, port, 80)}{target}"
            conn.putrequest(method, target, _authority(host, port, 443 if scheme == "https"
                                                       else 80))
            conn.putheader("User-Agent", self.user_agent)
            conn.putheader("Accept-Encoding", "gzip, deflate")
            conn.putheader("Accept", "*/*")
            conn.putheader("Connection", "keep-alive")
            if proxied and scheme == "http" and self._route(key)[3]:
                conn.putheader("Proxy-Authorization", self._route(key)[3])
            for name, value in headers:
                conn.putheader(name, value)
            if sign is not None:
                sign(conn.putheader)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
        return conn

    def _receive(self, key: tuple, conn: Connection, method: str) -> Response:
        """The whole answer to the request just sent on `conn`; the connection goes back to the
        pool for the next request, or is closed."""
        with _failures(conn):
            status, reason, answer_headers, content, will_close = conn.getresponse(method)
        fields = Headers((k.lower(), v) for k, v in answer_headers)
        encoding = (fields.get("content-encoding") or "").lower()
        if encoding in ("gzip", "x-gzip", "deflate") and content:
            content = _decompress(content, encoding)
        if will_close:
            conn.close()
        else:
            self._give_back(key, conn)
        return Response(status, reason, fields, content)

    def _connect(self, key: tuple) -> tuple[Connection, bool]:
        scheme, host, port = key
        via_host, via_port, proxied, proxy_auth = self._route(key)
        tls = self._context() if scheme == "https" else None
        tunnel = (host, port) if proxied and tls is not None else None
        conn = Connection(via_host, via_port, connect_timeout=self.connect_timeout,
                          read_timeout=self.read_timeout, tls=tls, tls_host=host,
                          tunnel=tunnel, tunnel_auth=proxy_auth if tunnel else None)
        try:
            conn.connect()
        except socket.timeout:
            conn.close()
            raise ConnectTimeout("connect timeout") from None
        except (OSError, ProtocolError) as e:
            # Refused, unreachable, no such name, TLS handshake or certificate refused, a proxy
            # that would not tunnel: in every case no byte of the request was sent.
            conn.close()
            raise NeverSent(type(e).__name__) from None
        except BaseException:
            conn.close()
            raise
        return conn, proxied

    # -- the pool ----------------------------------------------------------------------------

    def _slot(self, key: tuple) -> threading.BoundedSemaphore:
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = threading.BoundedSemaphore(self.maxsize)
            return slot

    def _take(self, key: tuple) -> Connection | None:
        while True:
            with self._lock:
                idle = self._idle.get(key)
                conn = idle.pop() if idle else None
            if conn is None:
                return None
            if not _dropped(conn):
                return conn
            conn.close()

    def _give_back(self, key: tuple, conn: Connection) -> None:
        with self._lock:
            self._idle.setdefault(key, []).append(conn)

    def _route(self, key: tuple) -> tuple[str, int, bool, str | None]:
        """(host, port to connect to, through a proxy?, Proxy-Authorization value or None)."""
        route = self._routes.get(key)
        if route is None:
            scheme, host, port = key
            proxy = proxy_for(scheme, host, port)
            if proxy is None:
                route = (host, port, False, None)
            else:
                p = urlsplit(proxy if "://" in proxy else "http://" + proxy)
                if p.scheme.lower() not in ("http", ""):
                    raise NeverSent(f"proxy scheme {p.scheme!r} is not supported")
                auth = None
                if p.username is not None:
                    auth = "Basic " + base64.b64encode(
                        f"{unquote(p.username)}:{unquote(p.password or '')}".encode()
                    ).decode("ascii")
                route = (p.hostname or "", p.port or 80, True, auth)
            with self._lock:
                self._routes[key] = route
        return route

    def _context(self):
        if self._tls is None:
            self._tls = tls_context()
        return self._tls


def tls_context():
    """Certificate and host name verification, with the bundle requests would have used."""
    import ssl
    cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if not cafile:
        try:
            import certifi
            cafile = certifi.where()
        except ImportError:
            cafile = None   # the system's store
    if cafile and os.path.isdir(cafile):
        return ssl.create_default_context(capath=cafile)
    return ssl.create_default_context(cafile=cafile)




def _target(url: str) -> tuple[tuple[str, str, int], str]:
    """((scheme, host, port), the path and query to ask for) of a URL; NeverSent for a scheme
    other than http or https."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise NeverSent(f"unsupported URL scheme {scheme!r}")
    port = parts.port or (443 if scheme == "https" else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return (scheme, parts.hostname or "", port), target


@contextmanager
def _failures(conn: Connection) -> Iterator[None]:
    """A request's failure on `conn` as the WireError saying whether it can have reached the
    server; the connection is closed, its state being unknown."""
    try:
        yield
    except Disconnected:
        conn.close()
        raise ConnectionFailed("RemoteDisconnected") from None
    except socket.timeout:
        conn.close()
        raise ReadTimeout("read timeout") from None
    except (OSError, ProtocolError) as e:
        conn.close()
        raise ConnectionFailed(type(e).__name__) from None
    except BaseException:
        conn.close()   # Ctrl-C or anything else half-way: the connection's state is unknown
        raise


def _dropped(conn: Connection) -> bool:
    """True when an idle connection was closed by the server (it reads as readable: EOF)."""
    sock = conn.sock
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _decompress(content: bytes, encoding: str) -> bytes:
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(content, 16 + zlib.MAX_WBITS)
        try:
            return zlib.decompress(content)
        except zlib.error:
            return zlib.decompress(content, -zlib.MAX_WBITS)   # raw deflate, as some servers send
    except zlib.error:
        raise ConnectionFailed("DecodeError") from None


def get(url: str, timeouts: tuple[float, float], redirects: int = 10) -> Response:
    """One plain GET (no credentials), following redirects: for pre-signed download links."""
    pool = Pool(maxsize=1, timeouts=timeouts)
    try:
        for _ in range(redirects + 1):
            response = pool.request("GET", url)
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303, 307, 308) or not location:
                return response
            from urllib.parse import urljoin
            url = urljoin(url, location)
        return response
    finally:
        pool.close()


def multipart(fields: dict[str, str], name: str, filename: str, data: bytes,
              content_type: str = "application/octet-stream") -> tuple[bytes, str]:
    """A multipart/form-data body of text fields and one file part, and its Content-Type."""
    import secrets
    boundary = secrets.token_hex(16)
    out = []
    for key, value in fields.items():
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(key)}"'
                   f'\r\n\r\n'.encode() + str(value).encode("utf-8") + b"\r\n")
    out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; '
               f'filename="{_quoted(filename)}"\r\nContent-Type: {content_type}\r\n\r\n'
               .encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")

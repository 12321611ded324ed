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

Failures are raised as the exception classes below, each saying whether the request can have
reached the service: that decides whether a create may be sent again.
"""
from __future__ import annotations

import base64
import os
import re
import select
import socket
import threading
import zlib
from typing import Callable, Iterable
from urllib.parse import unquote, urlsplit

from .proxies import proxy_for

USER_AGENT = "qc-magics/0.1"
MAX_LINE = 65536         # a status or header line longer than this is not an answer we can read
MAX_HEADERS = 200


class WireError(Exception):
    """A request that got no HTTP answer."""


class ConnectTimeout(WireError):
    """No connection within the connect timeout: nothing was sent."""


class NeverSent(WireError):
    """The connection could not be made (refused, no such host, TLS refused): nothing was sent."""


class ReadTimeout(WireError):
    """Sent, but no answer within the read timeout: the service may have acted."""


class ConnectionFailed(WireError):
    """The connection broke after the request started: the service may have acted."""


class ProtocolError(Exception):
    """The answer is not HTTP/1.x as we read it."""


class Disconnected(ConnectionError):
    """The server closed the connection before its answer began."""


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_BAD_VALUE = re.compile(r"[\r\n\0]")


class Connection:
    """One HTTP/1.1 connection: `putheader` as http.client has it, one request at a time."""

    def __init__(self, host: str, port: int, *, connect_timeout: float, read_timeout: float,
                 tls=None, tls_host: str | None = None, tunnel: tuple[str, int] | None = None,
                 tunnel_auth: str | None = None):
        self.host, self.port = host, port
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout
        self.tls, self.tls_host = tls, tls_host
        self.tunnel, self.tunnel_auth = tunnel, tunnel_auth
        self.sock: socket.socket | None = None
        self._reader = None
        self._buffer: list[bytes] = []

    def connect(self) -> None:
        try:   # bytes: a str host would load the idna codec (~8 ms) even when it is ASCII
            host: str | bytes = self.host.encode("ascii")
        except UnicodeEncodeError:
            host = self.host
        sock = socket.create_connection((host, self.port), self.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tunnel is not None:   # CONNECT through an HTTP proxy, then TLS inside
                self.sock, self._reader = sock, sock.makefile("rb")
                host, port = self.tunnel
                head = f"CONNECT {_authority(host, port, 0)} HTTP/1.1\r\nHost: " \
                       f"{_authority(host, port, 0)}\r\n"
                if self.tunnel_auth:
                    head += f"Proxy-Authorization: {self.tunnel_auth}\r\n"
                sock.sendall((head + "\r\n").encode("latin-1"))
                status, _, _, _ = self._read_head()
                if status != 200:
                    raise OSError(f"Tunnel connection failed: {status}")
                self._reader.close()
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=self.tls_host or self.host)
        except BaseException:
            sock.close()
            raise
        sock.settimeout(self.read_timeout)
        self.sock, self._reader = sock, sock.makefile("rb")

    def close(self) -> None:
        reader, sock, self._reader, self.sock = self._reader, self.sock, None, None
        self._buffer = []
        if reader is not None:
            reader.close()
        if sock is not None:
            sock.close()

    def putrequest(self, method: str, target: str, host: str) -> None:
        if _BAD_VALUE.search(method + target) or " " in target:
            raise ValueError("Invalid request line")
        try:
            name = host.encode("ascii")
        except UnicodeEncodeError:
            name = host.encode("idna")
        self._buffer = [f"{method} {target} HTTP/1.1".encode("ascii"), b"Host: " + name]

    def putheader(self, header: str, *values: str) -> None:
        if not _TOKEN.match(header):
            raise ValueError(f"Invalid header name {header!r}")
        value = "\r\n\t".join(str(v) for v in values)
        if _BAD_VALUE.search(value):
            raise ValueError("Invalid header value")   # never quotes it: it may be a signature
        self._buffer.append(header.encode("latin-1") + b": " + value.encode("latin-1"))

    def endheaders(self, body: bytes = b"") -> None:
        """Send the request: head and body in one write (no wait on Nagle and delayed ACKs)."""
        self._buffer.extend((b"", b""))
        data = b"\r\n".join(self._buffer) + body
        self._buffer = []
        if self.sock is None:
            raise OSError("not connected")
        self.sock.sendall(data)

    def getresponse(self, method: str) -> tuple[int, str, list[tuple[str, str]], bytes, bool]:
        """(status, reason, headers, body, will_close) of the answer, read whole."""
        while True:
            status, reason, headers, version = self._read_head(first=True)
            if not 100 <= status < 200 or status == 101:
                break   # 100 Continue and other interim answers are skipped
        fields: dict[str, str] = {}
        for k, v in headers:
            fields[k.lower()] = v
        connection = fields.get("connection", "").lower()
        will_close = "close" in connection or (version == "HTTP/1.0"
                                               and "keep-alive" not in connection)
        if method == "HEAD" or status in (204, 304):
            return status, reason, headers, b"", will_close
        if "chunked" in fields.get("transfer-encoding", "").lower():
            return status, reason, headers, self._read_chunked(), will_close
        length = fields.get("content-length")
        if length is not None:
            try:
                n = int(length.split(",")[0].strip())
            except ValueError:
                raise ProtocolError("bad Content-Length") from None
            body = self._reader.read(n) if n > 0 else b""
            if len(body) < n:
                raise ProtocolError("IncompleteRead")
            return status, reason, headers, body, will_close
        return status, reason, headers, self._reader.read(), True   # until the server closes

    def _line(self) -> bytes:
        line = self._reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError("line too long")
        return line

    def _read_head(self, first: bool = False) -> tuple[int, str, list[tuple[str, str]], str]:
        line = self._line()
        if not line:
            raise Disconnected("the server closed the connection without an answer")
        version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
        code, _, reason = rest.partition(" ")
        if not version.startswith("HTTP/1.") or not code.isdigit() or len(code) != 3:
            raise ProtocolError("BadStatusLine")
        headers: list[tuple[str, str]] = []
        while True:
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                break
            if len(headers) >= MAX_HEADERS:
                raise ProtocolError("too many headers")
            text = line.decode("latin-1")
            if text[0] in " \t" and headers:   # an obsolete folded line continues the last
                name, value = headers[-1]
                headers[-1] = (name, value + " " + text.strip())
                continue
            name, _, value = text.partition(":")
            headers.append((name.strip(), value.strip()))
        return int(code), reason.strip(), headers, version

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            size_line = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError:
                raise ProtocolError("bad chunk size") from None
            if size == 0:
                while self._line() not in (b"\r\n", b"\n", b""):   # trailers
                    pass
                return b"".join(parts)
            chunk = self._reader.read(size)
            if len(chunk) < size:
                raise ProtocolError("IncompleteRead")
            parts.append(chunk)
            self._reader.read(2)   # the chunk's CRLF


class Headers(dict):
    """Answer headers by lower-case name: h["date"], h.get("Retry-After")."""

    def __getitem__(self, key: str) -> str:
        return dict.__getitem__(self, key.lower())

    def get(self, key: str, default=None):
        return dict.get(self, key.lower(), default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and dict.__contains__(self, key.lower())


class Response:
    """An answer, read whole: status_code, reason, headers, content (bytes)."""

    __slots__ = ("status_code", "reason", "headers", "content")

    def __init__(self, status_code: int, reason: str, headers: Headers, content: bytes):
        self.status_code = status_code
        self.reason = reason
        self.headers = headers
        self.content = content

    @property
    def ok(self) -> bool:
        return self.status_code < 400

    @property
    def encoding(self) -> str | None:
        """The charset the Content-Type names; utf-8 for JSON without one (RFC 8259), else None."""
        ctype = self.headers.get("content-type") or ""
        for part in ctype.split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                return value.strip("'\"")
        return "utf-8" if "json" in ctype.lower() else None

    @property
    def text(self) -> str:
        try:
            return self.content.decode(self.encoding or "utf-8", "replace")
        except LookupError:   # a charset Python does not know
            return self.content.decode("utf-8", "replace")

    def json(self):
        """The JSON value; ValueError when it is not JSON."""
        import json
        encoding = self.encoding
        if encoding is None or encoding.lower() in ("utf-8", "utf8"):
            return json.loads(self.content)   # bytes: json detects UTF-8/16/32 itself
        try:
            return json.loads(self.content.decode(encoding))
        except (LookupError, UnicodeDecodeError) as e:
            raise ValueError(str(e)) from None


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
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise NeverSent(f"unsupported URL scheme {scheme!r}")
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        slot = self._slot(key)
        slot.acquire()
        try:
            return self._attempt(key, method, target, body, headers, sign)
        finally:
            slot.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()

    # -- one attempt -------------------------------------------------------------------------

    def _attempt(self, key: tuple, method: str, target: str, body: bytes,
                 headers: Iterable[tuple[str, str]], sign: Sign | None) -> Response:
        conn = self._take(key)
        if conn is None:
            conn, proxied = self._connect(key)
        else:
            proxied = self._route(key)[2]
        scheme, host, port = key
        try:
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
            status, reason, answer_headers, content, will_close = conn.getresponse(method)
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


def _authority(host: str, port: int, default: int) -> str:
    """host, or host:port when the port is not the scheme's (0: always with the port)."""
    host = f"[{host}]" if ":" in host else host
    return host if port == default else f"{host}:{port}"


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

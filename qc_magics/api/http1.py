"""One HTTP/1.1 connection and what it reads: the request line and headers out, the answer in
(status line, headers, a body by Content-Length, chunks, or until close), and the errors that
say whether a request can have reached the server. The pool of such connections, proxies and
TLS are wire.py's.
"""
from __future__ import annotations

import re
import socket

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

def _authority(host: str, port: int, default: int) -> str:
    """host, or host:port when the port is not the scheme's (0: always with the port)."""
    host = f"[{host}]" if ":" in host else host
    return host if port == default else f"{host}:{port}"

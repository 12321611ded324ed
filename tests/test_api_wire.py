"""The transport's HTTP layer (api/wire.py, HTTP/1.1 on sockets): keep-alive reuse, a connection
the server closed, proxies from the environment (api/proxies.py), TLS that verifies, and no
`requests` on the way."""
from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from qc_magics.api import proxies, wire


def test_connections_are_kept_alive_and_reused(client, emu):
    client.list_projects()
    pool = client.transport.session
    (conns,) = pool._idle.values()
    first = conns[0]
    client.list_projects()
    assert pool._idle[next(iter(pool._idle))] == [first]


def test_a_connection_the_server_closed_is_replaced(client, emu):
    client.list_projects()
    pool = client.transport.session
    (conns,) = pool._idle.values()
    conns[0].sock.shutdown(socket.SHUT_RDWR)   # as a server's idle timeout would
    assert isinstance(client.list_projects(), list)


def test_many_threads_share_a_bounded_pool(client, emu):
    errors = []

    def work():
        try:
            for _ in range(5):
                client.list_projects()
        except Exception as e:   # noqa: BLE001
            errors.append(e)
    threads = [threading.Thread(target=work) for _ in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(len(c) for c in client.transport.session._idle.values()) <= \
        client.transport.pool_size


@pytest.mark.parametrize("env, url, expected", [
    ({"HTTPS_PROXY": "http://proxy:3128"}, ("https", "www.quantconnect.com", 443),
     "http://proxy:3128"),
    ({"HTTPS_PROXY": "http://up:1", "https_proxy": "http://low:2"},
     ("https", "www.quantconnect.com", 443), "http://low:2"),
    ({"ALL_PROXY": "http://all:1"}, ("http", "example.org", 80), "http://all:1"),
    ({"https_proxy": "http://p:1", "no_proxy": "localhost,.quantconnect.com"},
     ("https", "www.quantconnect.com", 443), None),
    ({"https_proxy": "http://p:1", "NO_PROXY": "quantconnect.com"},
     ("https", "www.quantconnect.com", 443), None),
    ({"http_proxy": "http://p:1", "no_proxy": "127.0.0.0/8"}, ("http", "127.0.0.1", 5612), None),
    ({"http_proxy": "http://p:1", "no_proxy": "*"}, ("http", "anything", 80), None),
    ({"http_proxy": "http://p:1"}, ("https", "www.quantconnect.com", 443), None),
])
def test_proxies_come_from_the_environment_as_requests_read_them(monkeypatch, env, url,
                                                                 expected):
    for name in list(__import__("os").environ):
        if name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert proxies.proxy_for(*url) == expected


def test_a_plain_proxy_gets_the_absolute_url(monkeypatch):
    """An http proxy is sent the whole URL (and the proxy's own credentials, never ours)."""
    seen = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer():
        conn, _ = server.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        seen.append(data.decode())
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json"
                     b"\r\n\r\n{}")
        conn.close()
    t = threading.Thread(target=answer)
    t.start()
    monkeypatch.setenv("http_proxy", f"http://u:p%40ss@127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    response = wire.Pool().request("GET", "http://example.invalid:8080/api/v2/x")
    t.join()
    server.close()
    assert response.json() == {}
    assert seen[0].startswith("GET http://example.invalid:8080/api/v2/x HTTP/1.1")
    assert "Proxy-Authorization: Basic dTpwQHNz" in seen[0]


def test_tls_verifies_certificates_and_host_names():
    context = wire.tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_a_refused_connection_was_never_sent():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(wire.NeverSent):
        wire.Pool(timeouts=(2, 2)).request("POST", f"http://127.0.0.1:{port}/x", b"{}")


def test_the_cli_start_up_imports_no_http_library_nor_pandas():
    """Start-up cost: requests (~0.13 s), http.client with the email package (~30 ms), ssl
    (only https needs it) and pandas stay out of the commands' start-up."""
    code = ("import sys, qc_magics.cli, qc_magics.sync.folder, qc_magics.api.client; "
            "print(sorted(m for m in ('requests', 'urllib3', 'charset_normalizer', 'pandas', "
            "'http.client', 'email.parser', 'ssl', 'orjson') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_a_command_parsed_imports_neither_shutil_nor_difflib():
    """Each a few ms of every command's start-up, for what few commands need: the terminal's
    width (argparse asks shutil), near names for a typo. Run without site-packages (-S), whose
    .pth files may import anything."""
    root = Path(__file__).resolve().parent.parent
    code = ("import sys, qc_magics.cli, qc_magics.sync.folder, qc_magics.api.client, "
            "qc_magics.api.lookup; from qc_magics.commands import grammar; "
            "grammar.parse(['status', '--project', 'P'], 'qc-magics'); "
            "print(sorted(m for m in ('shutil', 'difflib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True,
                         check=True, cwd=root).stdout
    assert out.strip() == "[]"


@pytest.fixture
def tls_server(tmp_path):
    """A one-answer HTTPS server on 127.0.0.1 with a self-signed certificate for "localhost"."""
    import shutil
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                raw, _ = server.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(raw, server_side=True) as conn:
                    data = b""
                    while b"\r\n\r\n" not in data:
                        data += conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Transfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}"
                                 b"\r\n0\r\n\r\n")
            except (OSError, ssl.SSLError):
                pass   # the client refused our certificate
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield server.getsockname()[1], cert
    stop.set()
    server.close()


def test_https_refuses_a_certificate_it_cannot_verify(tls_server, monkeypatch):
    port, _ = tls_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with pytest.raises(wire.NeverSent, match="SSLCertVerificationError"):
        wire.Pool(timeouts=(5, 5)).request("POST", f"https://localhost:{port}/x", b"{}")


def test_https_with_a_trusted_certificate_answers(tls_server, monkeypatch):
    port, cert = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert))
    response = wire.Pool(timeouts=(5, 5)).request("POST", f"https://localhost:{port}/x", b"{}")
    assert response.status_code == 200 and response.json() == {"a": 1}   # chunked, read whole

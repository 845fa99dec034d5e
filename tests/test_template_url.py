"""TemplateURL fetching against real HTTP servers on loopback.

127.0.0.2 plays a public host: the tests tell ``is_public_address`` so, and
point a made-up host name at it through ``_resolve``; 127.0.0.1 stays what it
is, a private address that a TemplateURL must not reach.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cfnapi import template_url
from cfnapi.errors import ServiceError
from cfnapi.template_url import TemplateUrlPolicy, fetch_template, is_public_address

PUBLIC = "127.0.0.2"
PRIVATE = "127.0.0.1"


class _Server:
    """A loopback HTTP server answering each path from a table of (status, headers, body or callable)."""

    def __init__(self, address: str, port: int = 0):
        self.routes: dict[str, tuple] = {}
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                status, headers, body = server.routes.get(self.path, (404, {}, b"missing"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if callable(body):
                    self.end_headers()
                    body(self.wfile)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer((address, port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    public = _Server(PUBLIC)
    private = _Server(PRIVATE, public.port)  # the same port on both addresses
    yield public, private
    public.close()
    private.close()


@pytest.fixture
def public_name(monkeypatch):
    """templates.example resolves to the 'public' loopback address, and counts its lookups."""
    lookups: list[str] = []
    real_is_public = template_url.is_public_address

    def resolve(hostname, port):
        lookups.append(hostname)
        if hostname == "templates.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))]
        return socket.getaddrinfo(hostname, port, type=socket.SOCK_STREAM)

    monkeypatch.setattr(template_url, "_resolve", resolve)
    monkeypatch.setattr(template_url, "is_public_address",
                        lambda address: str(address) == PUBLIC or real_is_public(address))
    return lookups


def _refused(url, policy=TemplateUrlPolicy(), match="non-public address"):
    with pytest.raises(ServiceError, match=match):
        fetch_template(url, policy)


def test_a_private_address_is_refused_before_any_request(servers):
    _public, private = servers
    private.routes["/t.json"] = (200, {}, b"{}")
    _refused(f"http://{PRIVATE}:{private.port}/t.json")
    _refused(f"http://localhost:{private.port}/t.json")
    assert private.requests == []


def test_the_operator_may_allow_private_addresses(servers):
    _public, private = servers
    private.routes["/t.json"] = (200, {}, b'{"Resources": {}}')
    policy = TemplateUrlPolicy(allow_private_addresses=True)
    assert fetch_template(f"http://{PRIVATE}:{private.port}/t.json", policy) == '{"Resources": {}}'


def test_the_connection_goes_to_the_address_that_was_checked(servers, public_name, monkeypatch):
    public, private = servers
    public.routes["/t.json"] = (200, {}, b"checked")
    private.routes["/t.json"] = (200, {}, b"rebound")
    # DNS rebinding: after its first answer the name points at the private address,
    # for our resolver and for any other lookup of it.
    real_getaddrinfo = socket.getaddrinfo

    def rebound(host, port, *args, **kwargs):
        if host == "templates.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PRIVATE, port))]
        return real_getaddrinfo(host, port, *args, **kwargs)

    checked = template_url._resolve

    def rebinding(hostname, port):
        answer = checked(hostname, port)
        monkeypatch.setattr(socket, "getaddrinfo", rebound)
        monkeypatch.setattr(template_url, "_resolve", lambda h, p: rebound(h, p))
        return answer

    monkeypatch.setattr(template_url, "_resolve", rebinding)
    assert fetch_template(f"http://templates.example:{public.port}/t.json", TemplateUrlPolicy()) == "checked"
    assert public.requests == ["/t.json"] and private.requests == []
    assert public_name == ["templates.example"]  # resolved once


def test_a_redirect_to_a_private_address_is_refused(servers, public_name):
    public, private = servers
    public.routes["/t.json"] = (302, {"Location": f"http://{PRIVATE}:{private.port}/secret"}, b"")
    private.routes["/secret"] = (200, {}, b"secret")
    _refused(f"http://templates.example:{public.port}/t.json")
    assert public.requests == ["/t.json"] and private.requests == []


def test_redirects_between_public_urls_are_followed_up_to_a_limit(servers, public_name):
    public, _private = servers
    public.routes["/old"] = (301, {"Location": "/new"}, b"")
    public.routes["/new"] = (200, {}, b"moved")
    assert fetch_template(f"http://templates.example:{public.port}/old", TemplateUrlPolicy()) == "moved"
    public.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    _refused(f"http://templates.example:{public.port}/loop", match="more than 5 redirects")
    assert public.requests.count("/loop") == 6


def test_an_error_status_is_reported(servers, public_name):
    public, _private = servers
    _refused(f"http://templates.example:{public.port}/nothing", match="HTTP status 404")


def test_a_template_over_the_size_limit_is_refused(servers, public_name):
    public, _private = servers
    public.routes["/big"] = (200, {}, b"x" * 2048)
    public.routes["/chunk"] = (200, {}, lambda out: out.write(b"y" * 4096))  # no Content-Length
    policy = TemplateUrlPolicy(max_bytes=1024)
    _refused(f"http://templates.example:{public.port}/big", policy, match="may not exceed 1024 bytes")
    _refused(f"http://templates.example:{public.port}/chunk", policy, match="may not exceed 1024 bytes")


def test_a_slow_server_cannot_hold_the_fetch_past_its_deadline(servers, public_name):
    public, _private = servers

    def drip(out):
        for _ in range(40):  # a byte every 0.1 s: each read is quick, the whole is not
            out.write(b" ")
            out.flush()
            time.sleep(0.1)

    public.routes["/slow"] = (200, {}, drip)
    started = time.monotonic()
    _refused(f"http://templates.example:{public.port}/slow", TemplateUrlPolicy(timeout_seconds=0.5),
             match="timed out")
    assert time.monotonic() - started < 2.0


def test_only_http_https_and_allowed_files():
    _refused("ftp://templates.example/t.json", match="TemplateURL must be a supported URL")
    _refused("http:///t.json", match="TemplateURL must be a supported URL")
    _refused("file:///etc/passwd", match="TemplateURL must be a supported URL")


@pytest.mark.parametrize("address, public", [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.1.1", False),
    ("169.254.169.254", False), ("0.0.0.0", False), ("100.64.0.1", False), ("224.0.0.1", False),
    ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
])
def test_which_addresses_count_as_public(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


def _self_signed(tmp_path, name: str):
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.mark.parametrize("certificate_name, ok", [("templates.example", True), ("other.example", False)])
def test_https_is_verified_against_the_url_host_while_connecting_to_the_checked_address(
        servers, public_name, monkeypatch, tmp_path, certificate_name, ok):
    import ssl

    public, _private = servers
    public.routes["/t.json"] = (200, {}, b"over tls")
    cert_file, key_file = _self_signed(tmp_path, certificate_name)
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    public.httpd.socket = server_context.wrap_socket(public.httpd.socket, server_side=True)
    monkeypatch.setattr(template_url, "_tls_context", lambda: ssl.create_default_context(cafile=str(cert_file)))
    url = f"https://templates.example:{public.port}/t.json"
    if ok:
        assert fetch_template(url, TemplateUrlPolicy()) == "over tls"
    else:
        _refused(url, match="certificate verify failed")

"""Turn requests signed by real clients (botocore, boto 2) into SignedRequests.

These helpers only translate what the client put on the wire; every
signature is produced by the client library itself, never by our code.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

from boto.connection import HTTPRequest
from botocore.auth import SigV2Auth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cfnapi.auth import Credential, SignedRequest

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ACCOUNT = "123456789012"
PORT = 8000
HOST = f"127.0.0.1:{PORT}"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


class DictLookup:
    """The smallest CredentialLookup: a dict of credentials."""

    def __init__(self, *credentials: Credential):
        self.by_id = {c.access_key_id: c for c in credentials}

    def get(self, access_key_id: str) -> Credential | None:
        return self.by_id.get(access_key_id)


def default_lookup() -> DictLookup:
    return DictLookup(
        Credential(ACCESS_KEY, SECRET, ACCOUNT),
        Credential("AKIAINACTIVEKEY00000", "inactive-secret", ACCOUNT, active=False),
    )


def wire_request(method: str, url: str, headers, body) -> SignedRequest:
    """What an HTTP server would see: http.client adds Host; form bodies are parsed."""
    parts = urlsplit(url)
    header_map = {_text(name): _text(value) for name, value in headers.items()}
    if not any(name.lower() == "host" for name in header_map):
        header_map["Host"] = parts.netloc
    if body is None:
        body = b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    content_type = next((v for k, v in header_map.items() if k.lower() == "content-type"), "")
    form = None
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    return SignedRequest(
        method=method,
        path=parts.path or "/",
        query=parse_qsl(parts.query, keep_blank_values=True),
        headers=header_map,
        body=body,
        host=header_map.get("Host", parts.netloc),
        form=form,
    )


def _text(value) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def from_botocore(request: AWSRequest) -> SignedRequest:
    prepared = request.prepare()
    return wire_request(prepared.method, prepared.url, prepared.headers, prepared.body)


def _botocore_credentials(access_key: str, secret: str) -> Credentials:
    return Credentials(access_key, secret)


def botocore_sigv4(
    method="POST",
    url=f"http://{HOST}/v1/",
    data=None,
    params=None,
    headers=None,
    region="us-east-1",
    service="cloudformation",
    access_key=ACCESS_KEY,
    secret=SECRET,
) -> SignedRequest:
    request = AWSRequest(method=method, url=url, data=data, params=params or {}, headers=headers or {})
    SigV4Auth(_botocore_credentials(access_key, secret), service, region).add_auth(request)
    return from_botocore(request)


def botocore_presigned(
    url=f"http://{HOST}/v1/", params=None, expires=300, region="us-east-1", service="cloudformation",
    access_key=ACCESS_KEY, secret=SECRET,
) -> SignedRequest:
    request = AWSRequest(method="GET", url=url, params=params or {})
    SigV4QueryAuth(_botocore_credentials(access_key, secret), service, region, expires=expires).add_auth(request)
    return from_botocore(request)


def botocore_sigv2(method="POST", url=f"http://{HOST}/v1/", params=None, access_key=ACCESS_KEY, secret=SECRET):
    params = dict(params or {"Action": "DescribeStacks", "Version": "2010-05-15"})
    if method == "POST":
        request = AWSRequest(method=method, url=url, data=params, headers={"Content-Type": FORM})
    else:
        request = AWSRequest(method=method, url=url, params=params)
    SigV2Auth(_botocore_credentials(access_key, secret)).add_auth(request)
    return from_botocore(request)


def boto2_signed(handler_class, method: str, params: dict, path="/v1/", access_key=ACCESS_KEY, secret=SECRET):
    """Sign the way boto 2's AWSQueryConnection does: HTTPRequest.authorize(connection)."""
    from boto.provider import Provider

    import boto

    provider = Provider("aws", access_key, secret)
    handler = handler_class("127.0.0.1", boto.config, provider)
    http_request = HTTPRequest(method, "http", "127.0.0.1", PORT, path, None, dict(params), {}, "")
    http_request.authorize(connection=SimpleNamespace(_auth_handler=handler))
    return wire_request(method, f"http://{HOST}{http_request.path}", http_request.headers, http_request.body)

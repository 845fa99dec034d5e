"""Presigned handle URLs: scope, expiry and tampering are enforced."""

from urllib.parse import urlsplit, parse_qs

from cfnapi.signals import SignalTarget, SignalUrls

STACK_A = "arn:aws:cloudformation:us-east-1:123456789012:stack/a/11111111-1111-1111-1111-111111111111"
STACK_B = "arn:aws:cloudformation:us-east-1:123456789012:stack/b/22222222-2222-2222-2222-222222222222"


def parts(url: str):
    split = urlsplit(url)
    query = parse_qs(split.query)
    return split.path, query["Expires"][0], query["Signature"][0]


def test_url_names_exactly_its_handle():
    urls = SignalUrls(b"k" * 32, "http://127.0.0.1:8000", clock=lambda: 1000.0)
    target = SignalTarget("123456789012", STACK_A, "Handle")
    path, expires, signature = parts(urls.url(target))
    assert urls.verify("PUT", path, expires, signature) == target
    other_path = urls.path_for(SignalTarget("123456789012", STACK_B, "Handle"))
    assert urls.verify("PUT", other_path, expires, signature) is None  # another stack's handle
    assert urls.verify("PUT", path, str(int(expires) + 1), signature) is None  # altered expiry
    assert urls.verify("PUT", path, expires, signature[:-1] + "0") is None  # altered signature
    assert urls.verify("GET", path, expires, signature) is None


def test_expired_url_is_refused():
    now = [1000.0]
    urls = SignalUrls(b"k" * 32, "http://127.0.0.1:8000", lifetime=60, clock=lambda: now[0])
    target = SignalTarget("123456789012", STACK_A, "Handle")
    path, expires, signature = parts(urls.url(target))
    now[0] += 61
    assert urls.verify("PUT", path, expires, signature) is None


def test_other_server_key_is_refused():
    target = SignalTarget("123456789012", STACK_A, "Handle")
    path, expires, signature = parts(SignalUrls(b"a" * 32, "http://x", clock=lambda: 0).url(target))
    assert SignalUrls(b"b" * 32, "http://x", clock=lambda: 0).verify("PUT", path, expires, signature) is None

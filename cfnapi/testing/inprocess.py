"""A real botocore client whose HTTP goes into a WSGI app in this process.

The client runs its whole pipeline (parameter validation, serializer, request
compression, SigV4 signer, response parser, error factory); a ``before-send``
hook turns the prepared request into a WSGI environ, runs the app on it and
hands the bytes back as the HTTP response. No socket, no thread: fast enough
for unit tests, and every byte the app sees is what botocore sends.
"""

from __future__ import annotations

import io

from botocore.awsrequest import AWSResponse
from werkzeug.test import EnvironBuilder, run_wsgi_app

from cfnapi.testing.clients import client, shared_session

# Never connected to: the hook answers before botocore opens a connection.
ENDPOINT = "http://127.0.0.1:8000"


class InProcess:
    """Routes a client's prepared requests into the WSGI app; keeps the last one."""

    def __init__(self, app):
        self.app = app
        self.last = None

    def environ(self, request) -> dict:
        url = request.url.split("?", 1)
        builder = EnvironBuilder(path=url[0][len(ENDPOINT):] or "/", base_url=ENDPOINT, method=request.method,
                                 query_string=url[1] if len(url) > 1 else None,
                                 headers={k: (v.decode() if isinstance(v, bytes) else v)
                                          for k, v in request.headers.items()},
                                 data=request.body or b"")
        return builder.get_environ()

    def call(self, request) -> tuple[int, dict, bytes]:
        app_iter, status, headers = run_wsgi_app(self.app, self.environ(request))
        return int(status.split()[0]), dict(headers), b"".join(app_iter)

    def before_send(self, request, **_):
        self.last = request
        status, headers, body = self.call(request)
        return AWSResponse(request.url, status, headers, _Raw(body))


class _Raw(io.BytesIO):
    def stream(self, **_):
        yield self.getvalue()


def inprocess_client(app, service: str, *, protocol: str | None = None, access_key: str, secret_key: str,
                     validate: bool = True):
    """A boto3 client of ``service`` (in ``protocol``) whose requests ``app`` answers; and its router."""
    routed = InProcess(app)
    made = client(service, ENDPOINT, protocol=protocol, access_key=access_key, secret_key=secret_key,
                  parameter_validation=validate, session=shared_session(protocol))
    made.meta.events.register("before-send", routed.before_send)
    return made, routed

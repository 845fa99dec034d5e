"""Requests signed with a Keystone EC2 credential, verified by Keystone.

In OpenStack mode an access key cfnapi's own store does not know may be a
Keystone EC2 credential. cfnapi never sees its secret: it forwards what the
client signed to Keystone's ``POST /v3/ec2tokens`` — with its own service
token, which Keystone 30's policy requires of callers — and gets back a token
scoped to the credential's project. The caller's account is that project.

The token is kept in memory only (``ProjectTokens``) and used to act in the
project for the operation the request started; each signed request from the
project refreshes it. Keystone refuses to create a trust from a token minted
by ec2tokens (delegated credentials may not delegate further), so a trust
that outlives the token must come from the project's user
(``cfnapi.cloud.keystone_trusts``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from cfnapi.auth import errors, sigv4
from cfnapi.auth.credential import CredentialLookup
from cfnapi.auth.request import SIGV2, SIGV4, SIGV4_PRESIGNED, SignedRequest, VerifiedCaller
from cfnapi.auth.verify import verify_request
from cfnapi.errors import ServiceError


@dataclass(frozen=True)
class ProjectToken:
    """A Keystone token scoped to one project, as /v3/ec2tokens issued it."""

    token: str
    body: dict  # the token document (``{"token": {...}}``), for an access-info auth plugin
    project_id: str
    user_id: str
    expires_at: datetime | None


class ProjectTokens:
    """The newest token per Keystone project, in memory only (never written anywhere)."""

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self._tokens: dict[str, ProjectToken] = {}
        self._lock = threading.Lock()
        self._now = now

    def remember(self, token: ProjectToken) -> None:
        with self._lock:
            self._tokens[token.project_id] = token

    def current(self, project_id: str) -> ProjectToken | None:
        with self._lock:
            token = self._tokens.get(project_id)
        if token is None or (token.expires_at is not None and token.expires_at <= self._now()):
            return None
        return token


def ec2tokens_credentials(req: SignedRequest) -> dict:
    """The ``credentials`` document /v3/ec2tokens checks a signature against.

    Keystone recomputes the signature from the same pieces the client signed:
    verb, host, path, query (SigV2 and presigned SigV4) or headers and body
    hash (SigV4 header signing). It reads ``Authorization`` and ``X-Amz-Date``
    with exactly that capitalisation.
    """
    authorization = req.header("authorization")
    params = dict(req.query)
    if req.form is not None and not authorization and "Signature" in dict(req.form):
        params.update(req.form)  # SigV2 in a form POST body
    if authorization:
        access = sigv4.parse_credential(sigv4.parse_authorization_header(authorization)["Credential"]).access_key_id
        signature = sigv4.parse_authorization_header(authorization)["Signature"]
    elif "X-Amz-Credential" in params:
        access = params["X-Amz-Credential"].split("/")[0]
        signature = params.get("X-Amz-Signature", "")
    else:
        access, signature = params.get("AWSAccessKeyId", ""), params.get("Signature", "")
    headers = {name.lower(): value for name, value in req.headers.items()}
    if "host" not in headers:
        headers["host"] = req.host
    for canonical in ("Authorization", "X-Amz-Date"):
        if canonical.lower() in headers:
            headers[canonical] = headers.pop(canonical.lower())
    body_hash = req.header("x-amz-content-sha256") or hashlib.sha256(req.body).hexdigest()
    return {"access": access, "signature": signature, "host": req.host, "verb": req.method.upper(),
            "path": req.path, "params": params, "headers": headers, "body_hash": body_hash}


class KeystoneEc2Verifier:
    """POSTs a signed request's pieces to ``/v3/ec2tokens`` with cfnapi's service token.

    ``session`` is a keystoneauth session authenticated as cfnapi's service
    user; ``identity_url`` is Keystone's ``.../v3``.
    """

    def __init__(self, session, identity_url: str, tokens: ProjectTokens):
        self.session = session
        self.identity_url = identity_url.rstrip("/")
        self.tokens = tokens

    def verify(self, req: SignedRequest) -> VerifiedCaller:
        credentials = ec2tokens_credentials(req)
        response = self.session.post(
            f"{self.identity_url}/ec2tokens", json={"credentials": credentials},
            headers={"X-Auth-Token": self.session.get_token()}, raise_exc=False, authenticated=False,
        )
        if response.status_code in (401, 403, 404):
            raise errors.invalid_client_token_id() if not credentials["signature"] else _refused(response)
        if response.status_code != 200:
            raise ServiceError("ServiceUnavailable",
                               f"Keystone could not verify the credential (HTTP {response.status_code}).", 503,
                               sender_fault=False)
        body = response.json()
        token = body["token"]
        project_id = token["project"]["id"]
        self.tokens.remember(ProjectToken(
            token=response.headers["X-Subject-Token"], body=body, project_id=project_id,
            user_id=token["user"]["id"], expires_at=_parse_time(token.get("expires_at")),
        ))
        region, service, version = None, None, SIGV2
        if req.header("authorization") or "X-Amz-Credential" in credentials["params"]:
            scope = (sigv4.parse_credential(sigv4.parse_authorization_header(req.header("authorization"))["Credential"])
                     if req.header("authorization") else sigv4.parse_credential(credentials["params"]["X-Amz-Credential"]))
            region, service = scope.region, scope.service
            version = SIGV4 if req.header("authorization") else SIGV4_PRESIGNED
        return VerifiedCaller(credentials["access"], project_id, region, service, version)


def _refused(response) -> ServiceError:
    # Keystone says 401 for an unknown key and for a wrong signature alike.
    return ServiceError("SignatureDoesNotMatch",
                        "The request signature we calculated does not match the signature you provided "
                        "(Keystone refused the EC2 credential).", 403)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class LocalThenKeystoneVerifier:
    """cfnapi's own credentials first (its admin, AWS::IAM::AccessKey keys); an
    access key it does not know goes to Keystone."""

    def __init__(self, local: CredentialLookup, keystone: KeystoneEc2Verifier):
        self.local, self.keystone = local, keystone

    def __call__(self, req: SignedRequest) -> VerifiedCaller:
        try:
            return verify_request(req, self.local)
        except ServiceError as error:
            if error.code != "InvalidClientTokenId":
                raise
        return self.keystone.verify(req)

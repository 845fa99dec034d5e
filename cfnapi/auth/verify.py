"""The one entry point: find how a request was signed and verify it."""

from __future__ import annotations

from datetime import datetime

from cfnapi.auth import errors, sigv2, sigv4
from cfnapi.auth.credential import CredentialLookup
from cfnapi.auth.request import SignedRequest, VerifiedCaller
from cfnapi.auth.timestamps import utc_now


def verify_request(
    req: SignedRequest, credentials: CredentialLookup, now: datetime | None = None
) -> VerifiedCaller:
    """Return who signed ``req``, or raise the AWS-shaped ``ServiceError``.

    Precedence follows AWS: an Authorization header decides; otherwise SigV4
    presigned query parameters; otherwise SigV2 parameters; otherwise the
    request is anonymous and refused.
    """
    moment = now or utc_now()
    authorization = req.header("authorization")
    if authorization is not None and authorization.strip():
        algorithm = authorization.strip().split(" ", 1)[0]
        if algorithm != sigv4.ALGORITHM:
            raise errors.incomplete_signature(
                f"Unsupported Authorization type '{algorithm}'. cfnapi accepts {sigv4.ALGORITHM} "
                "(Signature Version 4) or Signature Version 2 query parameters."
            )
        return sigv4.verify_header_signature(req, credentials, moment)
    if sigv4.is_presigned(req):
        return sigv4.verify_presigned_url(req, credentials, moment)
    if sigv2.is_sigv2(req):
        return sigv2.verify_query_signature(req, credentials, moment)
    raise errors.missing_authentication_token()

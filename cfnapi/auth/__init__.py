"""Request authentication: SigV4/SigV2 verification and the credential store.

The HTTP layer builds a ``SignedRequest`` and calls ``verify_request`` with a
``CredentialLookup`` (normally a ``CredentialStore``); it gets back a
``VerifiedCaller`` or a ``ServiceError`` ready for the wire.

Modules: ``verify`` (dispatch), ``sigv4``, ``sigv2``, ``canonical`` (shared
canonical forms), ``errors`` (AWS codes and messages), ``store`` and
``models`` (accounts and keys), ``credentials_file`` (~/.aws/credentials).
"""

from cfnapi.auth.credential import Credential, CredentialLookup
from cfnapi.auth.credentials_file import write_shared_credentials_file
from cfnapi.auth.request import SIGV2, SIGV4, SIGV4_PRESIGNED, SignedRequest, VerifiedCaller
from cfnapi.auth.store import ADMIN_ACCOUNT_NAME, AdminCredential, CredentialStore, CredentialStoreError
from cfnapi.auth.verify import verify_request

__all__ = [
    "ADMIN_ACCOUNT_NAME",
    "AdminCredential",
    "SIGV2",
    "SIGV4",
    "SIGV4_PRESIGNED",
    "Credential",
    "CredentialLookup",
    "CredentialStore",
    "CredentialStoreError",
    "SignedRequest",
    "VerifiedCaller",
    "verify_request",
    "write_shared_credentials_file",
]

"""Which OpenStack connection acts for an account, in OpenStack mode.

cfnapi's own accounts (its admin credential, keys made by AWS::IAM::AccessKey)
deploy with the clouds.yaml cloud ``--cloud-name`` names. A Keystone project —
a caller who signed with a Keystone EC2 credential — is acted for with the
project-scoped token Keystone issued when it verified that signature
(``cfnapi.auth.keystone_ec2``), or — preferred when the project made one —
through a trust naming cfnapi's service user (``cfnapi.cloud.keystone_trusts``),
which outlives tokens and restarts. Never with cfnapi's own identity, so a
stack can do exactly what its owner may do in its own project and nothing more.
"""

from __future__ import annotations

import logging
import re
import threading

from cfnapi.auth.keystone_ec2 import ProjectToken, ProjectTokens
from cfnapi.cloud.errors import CloudError, forbidden
from cfnapi.cloud.keystone_trusts import ProjectTrusts, Trust
from cfnapi.cloud.openstack import OpenStackCloud

_log = logging.getLogger(__name__)

# Keystone project ids are UUID hex; cfnapi's own account ids are 12 digits, like AWS's.
_KEYSTONE_PROJECT_ID = re.compile(r"[0-9a-f]{32}")


def is_keystone_project(account_id: str) -> bool:
    return bool(_KEYSTONE_PROJECT_ID.fullmatch(account_id))


def connection_for_token(token: ProjectToken, identity_url: str, region_name: str | None):
    """An openstacksdk connection that uses ``token`` as it is (no re-authentication)."""
    import openstack.connection
    from keystoneauth1 import access, session
    from keystoneauth1.identity.access import AccessInfoPlugin

    auth_ref = access.create(body=token.body, auth_token=token.token)
    plugin = AccessInfoPlugin(auth_ref=auth_ref, auth_url=identity_url)
    return openstack.connection.Connection(session=session.Session(auth=plugin), region_name=region_name)


class ProjectProviders:
    """``provider_for(account_id)`` for ``CloudServices`` in OpenStack mode.

    A project's trust wins over its token: the trust does not expire in the
    middle of a long stack operation and survives a restart.
    """

    def __init__(self, default: OpenStackCloud, tokens: ProjectTokens, identity_url: str, region_name: str | None,
                 trusts: ProjectTrusts | None = None):
        self.default, self.tokens, self.trusts = default, tokens, trusts
        self.identity_url, self.region_name = identity_url, region_name
        # project -> (the token or trust id it was built on, cloud)
        self._clouds: dict[str, tuple[str, OpenStackCloud]] = {}
        self._lock = threading.Lock()

    def __call__(self, account_id: str) -> OpenStackCloud:
        if not is_keystone_project(account_id):
            return self.default
        trust, lookup_failure = self._trust(account_id)
        if trust is not None:
            return self._cloud(account_id, f"trust:{trust.id}", lambda: self.trusts.connect(trust))
        token = self.tokens.current(account_id)
        if token is None:
            if lookup_failure is not None:
                raise lookup_failure
            raise forbidden(f"No current Keystone token for project {account_id}, and no trust from the project "
                            "to cfnapi's service user: sign a new request with an EC2 credential of this project "
                            "to let cfnapi act in it again.")
        return self._cloud(account_id, f"token:{token.token}",
                           lambda: connection_for_token(token, self.identity_url, self.region_name))

    def _trust(self, account_id: str) -> tuple[Trust | None, CloudError | None]:
        """The project's trust, if any; a failed lookup does not stop a request-time token."""
        if self.trusts is None:
            return None, None
        try:
            return self.trusts.trust_for(account_id), None
        except CloudError as failure:
            _log.warning("could not look up Keystone trusts for project %s: %s", account_id, failure)
            return None, failure

    def _cloud(self, account_id: str, basis: str, connect) -> OpenStackCloud:
        with self._lock:
            built = self._clouds.get(account_id)
            if built is None or built[0] != basis:  # a newer token or another trust: a new connection
                built = (basis, OpenStackCloud(connect()))
                self._clouds[account_id] = built
        return built[1]

"""The cloud layer: native OpenStack verbs behind one narrow interface.

``provider.CloudProvider`` is the interface the translate package calls;
``sim`` (the default, an embedded simulated OpenStack in cfnapi's database)
and ``openstack`` (openstacksdk against a clouds.yaml cloud) implement it.
``errors.CloudError`` is the only exception either raises.
"""

from cfnapi.cloud.errors import CloudError, ErrorKind
from cfnapi.cloud.provider import CloudProvider

__all__ = ["CloudError", "CloudProvider", "ErrorKind"]

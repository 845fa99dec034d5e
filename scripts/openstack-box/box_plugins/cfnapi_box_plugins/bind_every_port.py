"""An ML2 mechanism driver that binds every port without an L2 agent.

Neutron's own drivers bind a port only where an agent reported in; the box
runs none, and Nova refuses to boot onto an unbound port (PortBindingFailed).
"""

from neutron_lib import constants
from neutron_lib.api.definitions import portbindings
from neutron_lib.plugins.ml2 import api


class BindEveryPortDriver(api.MechanismDriver):
    def initialize(self):
        pass

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        segments = context.segments_to_bind
        if segments:
            context.set_binding(segments[0][api.ID], portbindings.VIF_TYPE_OVS,
                                {portbindings.CAP_PORT_FILTER: True},
                                status=constants.PORT_STATUS_ACTIVE)

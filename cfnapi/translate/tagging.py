"""AWS Tags on the cloud objects that can carry them, kept in step by updates
(AWS changes Tags with no interruption, never by replacement).

Nova servers and Cinder volumes have key/value metadata: a tag is one item.
Neutron resources carry plain-string tags: a tag becomes ``Key=Value``. Only
what the template's tags account for is changed; metadata or tags others set
on the object stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cfnapi.cloud.provider import CloudProvider
from cfnapi.translate.cloud_calls import call, tags_of


def tags_changed(old_props: Mapping[str, Any], new_props: Mapping[str, Any]) -> bool:
    return tags_of(old_props) != tags_of(new_props)


def neutron_tags(props: Mapping[str, Any]) -> list[str]:
    return [f"{key}={value}" for key, value in tags_of(props).items()]


def metadata_change(old_props: Mapping[str, Any], new_props: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """(items to add or change, keys to remove) taking metadata from the old Tags to the new."""
    old, new = tags_of(old_props), tags_of(new_props)
    return {k: v for k, v in new.items() if old.get(k) != v}, [k for k in old if k not in new]


def tag_network_resource(cloud: CloudProvider, kind: str, resource_id: str, current: Sequence[str],
                         old_props: Mapping[str, Any], new_props: Mapping[str, Any]) -> None:
    """Neutron replaces a resource's whole tag list: the new list is what it has, less the old
    template's tags, plus the new template's."""
    old = set(neutron_tags(old_props))
    kept = [tag for tag in current if tag not in old]
    wanted = kept + [tag for tag in neutron_tags(new_props) if tag not in kept]
    if wanted != list(current):
        call(cloud.set_network_tags, kind, resource_id, wanted)


def tag_new_network_resource(cloud: CloudProvider, kind: str, resource_id: str, props: Mapping[str, Any]) -> None:
    if tags_of(props):
        call(cloud.set_network_tags, kind, resource_id, neutron_tags(props))

"""AWS::SNS::Topic, Subscription and TopicPolicy → cfnapi's own topic store (``cfnapi.sns``).

OpenStack has no notification service a template could own, so topics live in
cfnapi's database, scoped to the stack's account and region. What is delivered:
CloudWatch alarm notifications to http/https subscriptions (``cfnapi.sns.fanout``).
Everything else — other protocols, encryption, FIFO ordering, delivery policies,
topic policies — is validated and recorded, and the event reason says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from cfnapi.sns import TopicStore, topic_arn
from cfnapi.sns.store import TopicExists
from cfnapi.translate.base import PropertySpec, ResourceContext, ResourceFailure, ResourceType
from cfnapi.translate.cloud_calls import (
    as_list,
    made_since_token,
    physical_name,
    recorded_only,
    short_id,
    tags_of,
    truthy,
)
from cfnapi.translate.iam import check_policy_document

PROTOCOLS = ("http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose")
DELIVERED = ("http", "https")
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOPIC_ARN = re.compile(r"^arn:aws:sns:[^:]*:([0-9]*):[A-Za-z0-9_.-]+$")  # group 1: the account

_TOPIC_RECORDED = ("DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication", "DataProtectionPolicy",
                   "DeliveryStatusLogging", "ArchivePolicy", "TracingConfig", "SignatureVersion",
                   "FifoThroughputScope")
_SUBSCRIPTION_RECORDED = ("FilterPolicy", "FilterPolicyScope", "DeliveryPolicy", "RedrivePolicy",
                          "SubscriptionRoleArn", "ReplayPolicy", "Region")


def topics(ctx: ResourceContext) -> TopicStore:
    store = getattr(ctx.cloud, "topics", None)
    if store is None:
        raise ResourceFailure("This server has no SNS topic store configured.")
    return store


def own_topic(ctx: ResourceContext, arn: str):
    """The topic, if it is the stack's account's. Topic policies are recorded, not enforced, so
    nothing may grant another account's stack a subscription (it would receive the alarms)."""
    match = _TOPIC_ARN.match(arn)
    if match and match.group(1) != ctx.account_id:
        raise ResourceFailure(f"AuthorizationError: account {ctx.account_id} is not authorized to use {arn}")
    topic = topics(ctx).get_topic(arn) if match else None
    if topic is None:
        raise ResourceFailure("Topic does not exist")
    return topic


def recorded_attributes(props: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, str]:
    """Recorded properties kept as SNS keeps attributes: strings (JSON for structures)."""
    return {name: props[name] if isinstance(props[name], str) else json.dumps(props[name])
            for name in names if props.get(name) not in (None, "")}


def _check_subscription(protocol: Any, endpoint: Any) -> None:
    """SNS Subscribe's own checks (InvalidParameter)."""
    if protocol not in PROTOCOLS:
        raise ResourceFailure(f"Invalid parameter: Amazon SNS does not support this protocol string: {protocol}")
    if protocol in DELIVERED and not str(endpoint or "").lower().startswith(f"{protocol}://"):
        raise ResourceFailure("Invalid parameter: Endpoint must match the specified protocol")
    if not endpoint:
        raise ResourceFailure("Invalid parameter: Endpoint")


def _subscription_attributes(props: Mapping[str, Any]) -> dict[str, str]:
    return {"RawMessageDelivery": "true" if truthy(props.get("RawMessageDelivery")) else "false",
            **recorded_attributes(props, _SUBSCRIPTION_RECORDED)}


class Topic(ResourceType):
    type_name = "AWS::SNS::Topic"
    openstack_mapping = ("a topic in cfnapi's own store (account/region scoped); alarm notifications reach its "
                         "http/https subscribers")
    properties = (
        PropertySpec("TopicName", update="replace"),
        PropertySpec("FifoTopic", "Boolean", update="replace"),
        PropertySpec("Subscription", "List"),
        PropertySpec("Tags", "List"),
    )  # the recorded ones (_TOPIC_RECORDED) are accepted undeclared, as the docs table says
    attribute_names = ("TopicArn", "TopicName")
    name_properties = ("TopicName",)
    not_honoured = (f"Recorded only: {', '.join(_TOPIC_RECORDED)}; FIFO ordering and deduplication; "
                    "no Publish API (only alarm notifications are sent).")

    def create(self, ctx, props) -> str:
        name = self._name(ctx, props)
        try:
            topic = topics(ctx).create_topic(ctx.account_id, ctx.region, name, self._attributes(props),
                                             tags_of(props))
        except TopicExists:
            raise ResourceFailure(f"Topic {name} already exists in stack or account") from None
        self._subscribe_inline(ctx, topic.arn, props)
        return topic.arn

    def find_created(self, ctx, props) -> str | None:
        """A generated name carries the token; a TopicName is this create's only if the topic
        was made after the token was saved (one that existed before is someone else's)."""
        if not ctx.creation_token:
            return None
        topic = topics(ctx).get_topic(topic_arn(ctx.account_id, ctx.region, self._name(ctx, props)))
        if topic is None or (props.get("TopicName") and not made_since_token(ctx, topic.created_at)):
            return None
        if len(self._inline_arns(ctx, topic.arn, props)) < len(as_list(props.get("Subscription"))):
            topics(ctx).delete_topic(topic.arn)  # died before its inline subscriptions: start again whole
            return None
        return topic.arn

    def update(self, ctx, resource, old_props, new_props) -> None:
        store = topics(ctx)
        store.update_topic(resource.physical_id, self._attributes(new_props), tags_of(new_props))
        if old_props.get("Subscription") != new_props.get("Subscription"):
            # The inline list is the whole truth: drop what it made before, make what it says now.
            for arn in self._inline_arns(ctx, resource.physical_id, old_props):
                store.unsubscribe(arn)
            self._subscribe_inline(ctx, resource.physical_id, new_props)

    def delete(self, ctx, resource) -> None:
        if resource.physical_id:
            topics(ctx).delete_topic(resource.physical_id)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"TopicArn": resource.physical_id, "TopicName": resource.physical_id.rsplit(":", 1)[-1]}

    def completion_note(self, props) -> str | None:
        return recorded_only(props, _TOPIC_RECORDED, "by cfnapi")

    @staticmethod
    def _name(ctx: ResourceContext, props: Mapping[str, Any]) -> str:
        fifo = truthy(props.get("FifoTopic"))
        name = str(props.get("TopicName") or "")
        if not name:
            name = physical_name(ctx, 256 - (5 if fifo else 0)) + (".fifo" if fifo else "")
        stem = name[:-5] if fifo and name.endswith(".fifo") else name
        if fifo and not name.endswith(".fifo"):
            raise ResourceFailure("Invalid parameter: Fifo Topic names must end with .fifo and must be made up "
                                  "of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, "
                                  "and must be between 1 and 256 characters long.")
        if not _TOPIC_NAME.match(stem) or len(name) > 256:
            raise ResourceFailure("Invalid parameter: Topic Name")
        return name

    @staticmethod
    def _attributes(props: Mapping[str, Any]) -> dict[str, str]:
        return {"FifoTopic": "true" if truthy(props.get("FifoTopic")) else "false",
                **recorded_attributes(props, _TOPIC_RECORDED)}

    @staticmethod
    def _subscribe_inline(ctx: ResourceContext, arn: str, props: Mapping[str, Any]) -> None:
        entries = as_list(props.get("Subscription"))
        for entry in entries:
            _check_subscription(entry.get("Protocol"), entry.get("Endpoint"))
        for entry in entries:
            topics(ctx).subscribe(arn, entry["Protocol"], str(entry["Endpoint"]), {"RawMessageDelivery": "false"})

    @staticmethod
    def _inline_arns(ctx: ResourceContext, arn: str, props: Mapping[str, Any]) -> list[str]:
        wanted = [(e.get("Protocol"), str(e.get("Endpoint"))) for e in as_list(props.get("Subscription"))]
        found = []
        for subscription in topics(ctx).subscriptions_of(arn):
            key = (subscription.protocol, subscription.endpoint)
            if key in wanted:
                wanted.remove(key)
                found.append(subscription.arn)
        return found


class Subscription(ResourceType):
    type_name = "AWS::SNS::Subscription"
    openstack_mapping = "a subscription in cfnapi's topic store; http/https endpoints receive alarm notifications"
    properties = (
        PropertySpec("TopicArn", required=True, update="replace"),
        PropertySpec("Protocol", required=True, update="replace"),
        PropertySpec("Endpoint", update="replace"),
        PropertySpec("RawMessageDelivery", "Boolean"),
    )  # the recorded ones (_SUBSCRIPTION_RECORDED) are accepted undeclared
    attribute_names = ("Arn",)
    not_honoured = ("Protocols other than http/https are recorded, not delivered; "
                    f"{', '.join(_SUBSCRIPTION_RECORDED)} are recorded only; no confirmation handshake "
                    "(SubscriptionConfirmation) and no message signature.")

    def create(self, ctx, props) -> str:
        arn = str(props["TopicArn"])
        _check_subscription(props.get("Protocol"), props.get("Endpoint"))
        own_topic(ctx, arn)
        return topics(ctx).subscribe(arn, str(props["Protocol"]), str(props["Endpoint"]),
                                     _subscription_attributes(props)).arn

    def find_created(self, ctx, props) -> str | None:
        """A subscription has no name, and subscribing twice makes two: the one to this endpoint
        made after the token was saved (the store's own clock) is this create's."""
        if not ctx.creation_token:
            return None
        mine = [s for s in topics(ctx).subscriptions_of(str(props["TopicArn"]))
                if s.protocol == props.get("Protocol") and s.endpoint == str(props.get("Endpoint"))
                and made_since_token(ctx, s.created_at)]
        return mine[0].arn if len(mine) == 1 else None  # two such would be a guess: adopt neither

    def update(self, ctx, resource, old_props, new_props) -> None:
        topics(ctx).set_subscription_attributes(resource.physical_id, _subscription_attributes(new_props))

    def delete(self, ctx, resource) -> None:
        if resource.physical_id:
            topics(ctx).unsubscribe(resource.physical_id)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Arn": resource.physical_id}

    def completion_note(self, props) -> str | None:
        notes = []
        if props.get("Protocol") not in DELIVERED:
            notes.append(f"Protocol {props.get('Protocol')} is recorded, not delivered by cfnapi.")
        recorded = recorded_only(props, _SUBSCRIPTION_RECORDED, "by cfnapi")
        if recorded:
            notes.append(recorded)
        return " ".join(notes) or None


class TopicPolicy(ResourceType):
    type_name = "AWS::SNS::TopicPolicy"
    openstack_mapping = "validated and recorded, NOT enforced"
    properties = (
        PropertySpec("PolicyDocument", "Json", required=True),
        PropertySpec("Topics", "List", required=True),
    )
    attribute_names = ("Id",)
    not_honoured = "Everything: the policy is checked for shape and recorded; nothing is enforced."

    def create(self, ctx, props) -> str:
        self._validate(ctx, props)
        return short_id("topicpolicy")

    def update(self, ctx, resource, old_props, new_props) -> None:
        self._validate(ctx, new_props)

    def attributes(self, ctx, resource) -> dict[str, Any]:
        return {"Id": resource.physical_id}

    def completion_note(self, props) -> str | None:
        return "The topic policy is recorded, not enforced by cfnapi."

    @staticmethod
    def _validate(ctx: ResourceContext, props: Mapping[str, Any]) -> None:
        check_policy_document(props.get("PolicyDocument"), "PolicyDocument")
        arns = as_list(props.get("Topics"))
        if not arns:
            raise ResourceFailure("Invalid parameter: Topics")
        for arn in arns:
            own_topic(ctx, str(arn))

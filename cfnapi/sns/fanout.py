"""Alarm actions that name an SNS topic: the notification goes to each of the topic's
HTTP(S) subscriptions, as SNS delivers it, through the CloudWatch webhook sender (its
pool, retries and backoff). Other protocols (email, sqs, lambda …) have nowhere to go
on this server: they are recorded with the topic and skipped here, with a log line."""

from __future__ import annotations

import logging

from cfnapi.cloudwatch.actions import WebhookSender, sns_notification
from cfnapi.cloudwatch.alarms import Transition
from cfnapi.sns.store import TopicStore

log = logging.getLogger(__name__)

ARN_PREFIX = "arn:aws:sns:"
DELIVERED_PROTOCOLS = ("http", "https")


class TopicNotifications:
    """The ``ActionCallback`` for ``arn:aws:sns:…`` alarm actions."""

    def __init__(self, topics: TopicStore, webhooks: WebhookSender):
        self.topics = topics
        self.webhooks = webhooks

    def __call__(self, action: str, transition: Transition) -> None:
        # arn:aws:sns:{region}:{account}:{name}. Topic policies are recorded, not enforced, so
        # an alarm reaches only topics of its own account (what SNS allows without a policy).
        if action.split(":")[4:5] != [transition.account_id]:
            log.warning("alarm %s: topic %s belongs to another account; not published",
                        transition.alarm_name, action)
            return
        topic = self.topics.get_topic(action)
        if topic is None:
            log.warning("alarm %s: topic %s does not exist", transition.alarm_name, action)
            return
        # One publish: every subscriber gets the same MessageId, as from SNS.
        notification = sns_notification(transition, topic.arn)
        for subscription in self.topics.subscriptions_of(topic.arn):
            if subscription.protocol not in DELIVERED_PROTOCOLS:
                log.info("topic %s: %s subscription %s is recorded only; not delivered",
                         topic.arn, subscription.protocol, subscription.arn)
                continue
            headers = {"x-amz-sns-message-id": notification["MessageId"], "x-amz-sns-topic-arn": topic.arn,
                       "x-amz-sns-subscription-arn": subscription.arn}
            if subscription.raw_message_delivery:
                headers["x-amz-sns-rawdelivery"] = "true"
                self.webhooks.submit(subscription.endpoint, notification["Message"], headers)
            else:
                self.webhooks.submit(subscription.endpoint, notification, headers)

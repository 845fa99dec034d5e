import datetime as dt
import json

import pytest

from cfnapi.cloudwatch.alarms import Transition
from cfnapi.sns.fanout import TopicNotifications
from cfnapi.translate.base import ResourceFailure
from cfnapi.translate.registry import default_registry
from cfnapi.translate.sns import Subscription, Topic, TopicPolicy
from tests.translate.conftest import ACCOUNT, REGION

POLICY = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
                         "Action": "sns:Publish", "Resource": "*"}]}


def endpoints(world, arn):
    return sorted((s.protocol, s.endpoint) for s in world.topics.subscriptions_of(arn))


def test_topic_arn_name_and_inline_subscriptions(world):
    props = {"TopicName": "alerts", "Subscription": [{"Protocol": "https", "Endpoint": "https://hook/a"},
                                                      {"Protocol": "email", "Endpoint": "ops@example.com"}]}
    state = world.create(Topic(), props, "Alerts")
    assert state.physical_id == f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert default_registry().handler("AWS::SNS::Topic").ref(state) == state.physical_id
    assert state.attributes == {"TopicArn": state.physical_id, "TopicName": "alerts"}
    assert endpoints(world, state.physical_id) == [("email", "ops@example.com"), ("https", "https://hook/a")]
    new = {**props, "Subscription": [{"Protocol": "http", "Endpoint": "http://hook/b"}]}
    assert Topic.update_behaviour("Subscription") == "mutable" and Topic.update_behaviour("TopicName") == "replace"
    Topic().update(world.ctx("Alerts"), state, props, new)
    assert endpoints(world, state.physical_id) == [("http", "http://hook/b")]
    world.delete(Topic(), state)
    assert world.topics.get_topic(state.physical_id) is None
    assert world.topics.subscriptions_of(state.physical_id) == []


def test_generated_names_fifo_and_taken_names(world):
    state = world.create(Topic(), {}, "Plain")
    assert state.attributes["TopicName"].startswith("web-Plain-")
    fifo = world.create(Topic(), {"FifoTopic": True}, "Ordered")
    assert fifo.attributes["TopicName"].endswith(".fifo")
    with pytest.raises(ResourceFailure, match="must end with .fifo"):
        Topic().create(world.ctx(), {"TopicName": "plain", "FifoTopic": "true"})
    with pytest.raises(ResourceFailure, match="Invalid parameter: Topic Name"):
        Topic().create(world.ctx(), {"TopicName": "has space"})
    world.create(Topic(), {"TopicName": "taken"})
    with pytest.raises(ResourceFailure, match="already exists"):
        Topic().create(world.ctx("Again"), {"TopicName": "taken"})


def test_topics_are_scoped_to_account_and_region(world):
    world.create(Topic(), {"TopicName": "shared-name"})
    other = world.ctx()
    other = type(other)(**{**other.__dict__, "region": "eu-west-1"})
    arn = Topic().create(other, {"TopicName": "shared-name"})
    assert arn == f"arn:aws:sns:eu-west-1:{ACCOUNT}:shared-name"


def test_recorded_topic_properties_are_said_so(world):
    assert Topic().completion_note({"KmsMasterKeyId": "alias/aws/sns", "DisplayName": "d"}) == \
        "Recorded, not enforced by cfnapi: DisplayName, KmsMasterKeyId."
    assert Topic().completion_note({"TopicName": "x"}) is None


def test_subscription_checks_protocol_endpoint_and_topic(world):
    topic = world.create(Topic(), {"TopicName": "t"}).physical_id
    sub = world.create(Subscription(), {"TopicArn": topic, "Protocol": "http", "Endpoint": "http://x/",
                                        "RawMessageDelivery": "true"}, "Sub")
    assert sub.physical_id.startswith(topic + ":") and sub.attributes == {"Arn": sub.physical_id}
    assert world.topics.get_subscription(sub.physical_id).raw_message_delivery
    Subscription().update(world.ctx("Sub"), sub, {}, {"RawMessageDelivery": False})
    assert not world.topics.get_subscription(sub.physical_id).raw_message_delivery
    with pytest.raises(ResourceFailure, match="does not support this protocol string: gopher"):
        Subscription().create(world.ctx(), {"TopicArn": topic, "Protocol": "gopher", "Endpoint": "x"})
    with pytest.raises(ResourceFailure, match="Endpoint must match the specified protocol"):
        Subscription().create(world.ctx(), {"TopicArn": topic, "Protocol": "https", "Endpoint": "http://x/"})
    with pytest.raises(ResourceFailure, match="^Topic does not exist$"):
        Subscription().create(world.ctx(), {"TopicArn": topic + "-gone", "Protocol": "http",
                                            "Endpoint": "http://x/"})
    # Another account's stack cannot listen in on this account's topic (policies are not enforced).
    other = world.ctx()
    other = type(other)(**{**other.__dict__, "account_id": "999999999999"})
    with pytest.raises(ResourceFailure, match="^AuthorizationError: account 999999999999 is not authorized"):
        Subscription().create(other, {"TopicArn": topic, "Protocol": "http", "Endpoint": "http://x/"})
    assert "Protocol sqs is recorded, not delivered" in Subscription().completion_note({"Protocol": "sqs"})
    assert Subscription().completion_note({"Protocol": "https"}) is None
    world.delete(Subscription(), sub)
    assert world.topics.get_subscription(sub.physical_id) is None


def test_topic_policy_is_validated_and_recorded(world):
    topic = world.create(Topic(), {"TopicName": "t"}).physical_id
    state = world.create(TopicPolicy(), {"Topics": [topic], "PolicyDocument": POLICY}, "Policy")
    assert state.physical_id.startswith("topicpolicy-")
    with pytest.raises(ResourceFailure, match="Topic does not exist"):
        TopicPolicy().create(world.ctx(), {"Topics": [topic + "x"], "PolicyDocument": POLICY})
    with pytest.raises(ResourceFailure, match=r"^Syntax errors in policy\. \(PolicyDocument\)$"):
        TopicPolicy().create(world.ctx(), {"Topics": [topic], "PolicyDocument": {"Statement": [{}]}})


class RecordingSender:
    def __init__(self):
        self.sent = []

    def submit(self, url, body, headers=None):
        self.sent.append((url, body, headers))


def transition(actions, account=ACCOUNT):
    at = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    return Transition(account, REGION, "HighCPU", f"arn:aws:cloudwatch:{REGION}:{account}:alarm:HighCPU",
                      "MetricAlarm", "OK", "ALARM", "Threshold Crossed", None, at,
                      {"MetricName": "CPU", "Namespace": "App", "Statistic": "Average", "Period": 60,
                       "EvaluationPeriods": 1, "Threshold": 50, "ComparisonOperator": "GreaterThanThreshold"},
                      at, tuple(actions))


def test_an_alarm_on_a_topic_reaches_each_http_subscriber_once_as_sns_delivers(world):
    topic = world.create(Topic(), {"TopicName": "alerts"}).physical_id
    a = world.topics.subscribe(topic, "http", "http://a/", {"RawMessageDelivery": "false"})
    b = world.topics.subscribe(topic, "https", "https://b/", {"RawMessageDelivery": "true"})
    world.topics.subscribe(topic, "email", "ops@example.com", {})
    sender = RecordingSender()
    TopicNotifications(world.topics, sender)(topic, transition([topic]))
    assert [url for url, _, _ in sender.sent] == ["http://a/", "https://b/"]
    (_, envelope, headers_a), (_, raw, headers_b) = sender.sent
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == topic
    assert envelope["Subject"] == 'ALARM: "HighCPU" in us-east-1'
    assert json.loads(envelope["Message"])["NewStateValue"] == "ALARM"
    assert headers_a == {"x-amz-sns-message-id": envelope["MessageId"], "x-amz-sns-topic-arn": topic,
                         "x-amz-sns-subscription-arn": a.arn}
    assert raw == envelope["Message"]  # RawMessageDelivery: the message alone
    assert headers_b["x-amz-sns-rawdelivery"] == "true" and headers_b["x-amz-sns-subscription-arn"] == b.arn
    assert headers_b["x-amz-sns-message-id"] == envelope["MessageId"]  # one publish, one id


def test_unknown_or_foreign_topics_send_nothing(world):
    topic = world.create(Topic(), {"TopicName": "alerts"}).physical_id
    world.topics.subscribe(topic, "http", "http://a/", {})
    sender = RecordingSender()
    fanout = TopicNotifications(world.topics, sender)
    fanout(topic + "-gone", transition([topic + "-gone"]))
    fanout(topic, transition([topic], account="999999999999"))
    assert sender.sent == []

"""cfnapi's own SNS: topics and subscriptions kept in its database (AWS::SNS::*),
and the fan-out of CloudWatch alarm notifications to a topic's HTTP(S) subscribers."""

from cfnapi.sns.store import Subscription, Topic, TopicStore, topic_arn

__all__ = ["Subscription", "Topic", "TopicStore", "topic_arn"]

"""``TopicStore``: create / read / delete topics and subscriptions, scoped by the ARN's
account and region (``arn:aws:sns:{region}:{account}:{name}``)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select

from cfnapi.db import Database
from cfnapi.sns.models import SnsSubscriptionRow, SnsTopicRow


def topic_arn(account_id: str, region: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{name}"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass(frozen=True)
class Topic:
    arn: str
    name: str
    account_id: str
    region: str
    attributes: Mapping[str, str]
    tags: Mapping[str, str]
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class Subscription:
    arn: str
    topic_arn: str
    protocol: str
    endpoint: str
    attributes: Mapping[str, str]
    created_at: dt.datetime | None = None

    @property
    def raw_message_delivery(self) -> bool:
        return str(self.attributes.get("RawMessageDelivery", "false")).lower() == "true"


class TopicExists(Exception):
    """A topic of that name exists already in the account and region."""


class TopicStore:
    def __init__(self, db: Database):
        self.db = db

    def create_topic(self, account_id: str, region: str, name: str, attributes: Mapping[str, str],
                     tags: Mapping[str, str]) -> Topic:
        arn = topic_arn(account_id, region, name)
        with self.db.transaction() as session:
            if session.get(SnsTopicRow, (account_id, region, name)) is not None:
                raise TopicExists(arn)
            row = SnsTopicRow(account_id=account_id, region=region, name=name, arn=arn,
                              attributes=dict(attributes), tags=dict(tags), created_at=_utcnow())
            session.add(row)
            return _topic(row)

    def update_topic(self, arn: str, attributes: Mapping[str, str], tags: Mapping[str, str]) -> None:
        with self.db.transaction() as session:
            row = self._topic_row(session, arn)
            if row is not None:
                row.attributes, row.tags = dict(attributes), dict(tags)

    def get_topic(self, arn: str) -> Topic | None:
        with self.db.transaction() as session:
            row = self._topic_row(session, arn)
            return _topic(row) if row is not None else None

    def delete_topic(self, arn: str) -> bool:
        """Deleting a topic deletes its subscriptions, as SNS's DeleteTopic does."""
        with self.db.transaction() as session:
            session.execute(delete(SnsSubscriptionRow).where(SnsSubscriptionRow.topic_arn == arn))
            return session.execute(delete(SnsTopicRow).where(SnsTopicRow.arn == arn)).rowcount > 0

    def subscribe(self, topic: str, protocol: str, endpoint: str, attributes: Mapping[str, str]) -> Subscription:
        arn = f"{topic}:{uuid.uuid4()}"
        now = _utcnow()
        with self.db.transaction() as session:
            session.add(SnsSubscriptionRow(arn=arn, topic_arn=topic, protocol=protocol, endpoint=endpoint,
                                           attributes=dict(attributes), created_at=now))
            return Subscription(arn, topic, protocol, endpoint, dict(attributes), now)

    def set_subscription_attributes(self, arn: str, attributes: Mapping[str, str]) -> None:
        with self.db.transaction() as session:
            row = session.get(SnsSubscriptionRow, arn)
            if row is not None:
                row.attributes = dict(attributes)

    def get_subscription(self, arn: str) -> Subscription | None:
        with self.db.transaction() as session:
            row = session.get(SnsSubscriptionRow, arn)
            return _subscription(row) if row is not None else None

    def unsubscribe(self, arn: str) -> bool:
        with self.db.transaction() as session:
            return session.execute(delete(SnsSubscriptionRow).where(SnsSubscriptionRow.arn == arn)).rowcount > 0

    def subscriptions_of(self, topic: str) -> list[Subscription]:
        with self.db.transaction() as session:
            rows = session.scalars(select(SnsSubscriptionRow).where(SnsSubscriptionRow.topic_arn == topic)
                                   .order_by(SnsSubscriptionRow.created_at, SnsSubscriptionRow.arn))
            return [_subscription(row) for row in rows]

    @staticmethod
    def _topic_row(session, arn: str) -> SnsTopicRow | None:
        return session.scalar(select(SnsTopicRow).where(SnsTopicRow.arn == arn))


def _topic(row: SnsTopicRow) -> Topic:
    return Topic(row.arn, row.name, row.account_id, row.region, dict(row.attributes or {}), dict(row.tags or {}),
                 row.created_at)


def _subscription(row: SnsSubscriptionRow) -> Subscription:
    return Subscription(row.arn, row.topic_arn, row.protocol, row.endpoint, dict(row.attributes or {}),
                        row.created_at)

"""SNS tables: topics per (account, region, name) as in AWS, and their subscriptions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base


class SnsTopicRow(Base):
    __tablename__ = "sns_topics"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256), primary_key=True)
    arn: Mapped[str] = mapped_column(String(512), unique=True)
    # DisplayName, FifoTopic … as SNS's GetTopicAttributes would give them back.
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    tags: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SnsSubscriptionRow(Base):
    __tablename__ = "sns_subscriptions"

    arn: Mapped[str] = mapped_column(String(600), primary_key=True)
    topic_arn: Mapped[str] = mapped_column(
        String(512), ForeignKey("sns_topics.arn", ondelete="CASCADE"), index=True)
    protocol: Mapped[str] = mapped_column(String(32))
    endpoint: Mapped[str] = mapped_column(Text)
    # RawMessageDelivery, FilterPolicy … (strings, as SNS keeps subscription attributes)
    attributes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

"""CloudWatch tables. Statistics live in ``cw_aggregates``: one row per metric,
resolution, period start and unit, holding SampleCount/Sum/Min/Max and a
quantile sketch — raw samples are never stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base


class Metric(Base):
    __tablename__ = "cw_metrics"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "identity"),
        Index("ix_cw_metrics_lookup", "account_id", "region", "namespace", "metric_name"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    namespace: Mapped[str] = mapped_column(String(255))
    metric_name: Mapped[str] = mapped_column(String(255))
    dimensions: Mapped[str] = mapped_column(Text)  # canonical JSON: [[name, value], ...] sorted by name
    identity: Mapped[str] = mapped_column(String(64))  # sha256 of namespace, name and dimensions
    last_put_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MetricAggregate(Base):
    __tablename__ = "cw_aggregates"

    metric_id: Mapped[int] = mapped_column(ForeignKey("cw_metrics.id", ondelete="CASCADE"), primary_key=True)
    resolution: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 60, 300 or 3600 seconds
    period_start: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds
    unit: Mapped[str] = mapped_column(String(32), primary_key=True)
    sample_count: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    minimum: Mapped[float] = mapped_column(Float)
    maximum: Mapped[float] = mapped_column(Float)
    sketch: Mapped[bytes] = mapped_column(LargeBinary)


class Alarm(Base):
    __tablename__ = "cw_alarms"
    __table_args__ = (
        UniqueConstraint("account_id", "region", "name"),
        Index("ix_cw_alarms_due", "next_evaluation_at"),
        Index("ix_cw_alarms_metric", "account_id", "region", "namespace", "metric_name"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    arn: Mapped[str] = mapped_column(String(1024))
    alarm_type: Mapped[str] = mapped_column(String(32))  # MetricAlarm | CompositeAlarm
    definition: Mapped[str] = mapped_column(Text)  # JSON of the Put*Alarm parameters (normalised)
    namespace: Mapped[str | None] = mapped_column(String(255), nullable=True)
    metric_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    actions_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state_value: Mapped[str] = mapped_column(String(32))
    state_reason: Mapped[str] = mapped_column(Text)
    state_reason_data: Mapped[str | None] = mapped_column(Text, nullable=True)
    state_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state_transitioned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    configuration_updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_evaluation_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AlarmHistory(Base):
    __tablename__ = "cw_alarm_history"
    __table_args__ = (Index("ix_cw_alarm_history_lookup", "account_id", "region", "alarm_name", "timestamp"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(64))
    region: Mapped[str] = mapped_column(String(64))
    alarm_name: Mapped[str] = mapped_column(String(255))
    alarm_type: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    item_type: Mapped[str] = mapped_column(String(32))  # ConfigurationUpdate | StateUpdate | Action
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)


class Dashboard(Base):
    __tablename__ = "cw_dashboards"

    # Dashboards are global in AWS (their ARN has no region), so no region column.
    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ResourceTag(Base):
    __tablename__ = "cw_tags"

    resource_arn: Mapped[str] = mapped_column(String(1024), primary_key=True)  # the ARN carries account/region
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))

"""The SSM parameter table: one row per (account, region, name), as in AWS."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base


class SsmParameterRow(Base):
    __tablename__ = "ssm_parameters"

    account_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(2048), primary_key=True)
    type: Mapped[str] = mapped_column(String(16))  # String | StringList | SecureString
    value: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(1024), default="")
    data_type: Mapped[str] = mapped_column(String(64), default="text")
    version: Mapped[int] = mapped_column(Integer, default=1)
    last_modified: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

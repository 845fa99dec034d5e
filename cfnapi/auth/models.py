"""Tables of the credential store: accounts and their access keys.

Secrets are stored as they are. SigV4 and SigV2 are HMACs, so verifying a
request needs the secret itself: a one-way hash cannot work. Encrypting it
with a key kept beside the database would protect nothing on the embedded
SQLite deployment (whoever reads the database file reads the key next to it),
and doing it properly needs a vetted cipher (the ``cryptography`` package),
which cfnapi does not depend on. So the honest rule is: the ``credentials``
table is as sensitive as the secrets it holds — the SQLite file must be
readable by the cfnapi user only, and PostgreSQL access restricted to cfnapi.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cfnapi.db import Base


class AccountRow(Base):
    """An AWS-style account: the tenant everything else is scoped to."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(12), primary_key=True)  # 12 digits, like AWS
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CredentialRow(Base):
    """An access key pair of an account."""

    __tablename__ = "credentials"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    secret_access_key: Mapped[str] = mapped_column(String(128))  # plain: see the module docstring
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    user_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when an AWS::IAM::AccessKey resource created the key, so deleting the
    # stack can delete it; no foreign key, the engine's tables are its own.
    owner_stack_id: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)


class ServerSecretRow(Base):
    """A secret of the server itself, shared by every process on the database
    (e.g. the key that signs wait-condition handle URLs)."""

    __tablename__ = "server_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))

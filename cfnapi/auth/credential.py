"""The credential record and the one lookup the verifier needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Credential:
    """An access key pair owned by an account (an OpenStack project, later)."""

    access_key_id: str
    secret_access_key: str
    account_id: str
    active: bool = True
    user_name: str | None = None
    description: str = ""
    created_at: datetime | None = None
    owner_stack_id: str | None = None  # set when an AWS::IAM::AccessKey resource owns it


class CredentialLookup(Protocol):
    """Anything that can find a credential by access key id (the store, a dict in tests)."""

    def get(self, access_key_id: str) -> Credential | None: ...

"""Pseudo parameters (``AWS::Region`` …) and the stack identity they come from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StackIdentity:
    """Everything the pseudo parameters report about the stack being resolved."""

    account_id: str
    region: str
    stack_id: str
    stack_name: str
    notification_arns: tuple[str, ...] = ()
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"


class _NoValue:
    """Marker for ``Ref: AWS::NoValue``: the enclosing property or list item disappears."""

    _instance: "_NoValue | None" = None

    def __new__(cls) -> "_NoValue":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE = _NoValue()

PSEUDO_PARAMETERS = frozenset({
    "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
    "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
})


def pseudo_value(name: str, identity: StackIdentity) -> Any:
    """The value ``Ref: <name>`` has for this stack (``name`` must be a pseudo parameter)."""
    if name == "AWS::NoValue":
        return NO_VALUE
    return {
        "AWS::AccountId": identity.account_id,
        "AWS::NotificationARNs": list(identity.notification_arns),
        "AWS::Partition": identity.partition,
        "AWS::Region": identity.region,
        "AWS::StackId": identity.stack_id,
        "AWS::StackName": identity.stack_name,
        "AWS::URLSuffix": identity.url_suffix,
    }[name]

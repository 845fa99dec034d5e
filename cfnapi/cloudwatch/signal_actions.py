"""Stack signal actions: an alarm action that is this server's own presigned signal URL.

OpenStack Heat's CloudWatch let an alarm signal a stack resource (a wait condition
handle, or a resource's signal URL). In cfnapi a ``AWS::CloudFormation::WaitConditionHandle``'s
``Ref`` is such a URL, so a template can put it into ``AlarmActions``. POSTing the
SNS-style webhook body to it would be refused (a signal needs a ``Status``), so such a
URL is delivered here, in process, as the signal::

    {"Status": "SUCCESS", "Reason": <StateReason>, "UniqueId": <alarm name + state time>,
     "Data": <the SNS-style notification JSON>}

The URL's signature and expiry are still verified, exactly as the HTTP route does, so
an altered or expired URL fails the action (its "Action" history item says so).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from cfnapi.cloudwatch.actions import sns_notification
from cfnapi.cloudwatch.alarms import Transition
from cfnapi.signals import SIGNAL_PATH_PREFIX, SignalTarget, SignalUrls


class InvalidSignalAction(Exception):
    """The action URL is not a valid, unexpired signal URL of this server."""


def signal_action_prefix(urls: SignalUrls) -> str:
    """The action prefix that routes a URL to ``StackSignalActions`` rather than to the webhook sender."""
    return urls.base_url + SIGNAL_PATH_PREFIX


def alarm_signal(transition: Transition, action: str) -> dict:
    """The signal body an alarm transition sends to a stack resource."""
    return {
        "Status": "SUCCESS",
        "Reason": transition.reason,
        # One signal per transition: a repeat of the same transition is not a new signal.
        "UniqueId": f"{transition.alarm_name} {transition.timestamp.isoformat()}",
        "Data": json.dumps(sns_notification(transition, action)),
    }


class StackSignalActions:
    """The ``ActionCallback`` for alarm actions under ``signal_action_prefix(urls)``."""

    def __init__(self, urls: SignalUrls, record_signal: Callable[[SignalTarget, dict], None]):
        self.urls = urls
        self.record_signal = record_signal

    def __call__(self, action: str, transition: Transition) -> None:
        url = urlsplit(action)
        query = parse_qs(url.query)
        target = self.urls.verify("PUT", url.path, _first(query, "Expires"), _first(query, "Signature"))
        if target is None:
            raise InvalidSignalAction("The signal URL is invalid, altered or expired.")
        # A signal URL names its account: an alarm may signal only its own account's stacks.
        if target.account_id != transition.account_id:
            raise InvalidSignalAction("The signal URL belongs to another account.")
        self.record_signal(target, alarm_signal(transition, action))


def _first(query: dict[str, list[str]], name: str) -> str:
    return (query.get(name) or [""])[0]

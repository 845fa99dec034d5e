"""Alarm actions: what happens to a committed transition's action list.

- ``http://`` / ``https://`` URLs get an SNS-style JSON notification POSTed
  from a background pool, retried with exponential backoff; evaluation never
  waits for a webhook.
- Every other ARN (scaling policies ``arn:aws:autoscaling:…``, SNS topics …)
  and this server's own stack signal URLs (``signal_actions``) go to the
  callback registered for their prefix, which is looked up before the webhook
  route; ``cfnapi.wiring`` fills the registry (see ``ActionCallbackRegistry.register``).

Each action, once it has run (a webhook: delivered, or given up on after its
retries; a callback: returned or raised), gets its "Action" history item through
``ActionHistory`` — for the first invocation at a transition and for every repeat
alike, as AWS writes one per action run.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Protocol

from cfnapi.cloudwatch.alarms import Transition

log = logging.getLogger(__name__)

ActionCallback = Callable[[str, Transition], None]


class ActionDispatcher(Protocol):
    def dispatch(self, transition: Transition) -> None:
        """Start every action of ``transition``; must not block on slow targets."""


class ActionHistory(Protocol):
    def record_action(self, transition: Transition, action: str, error: str | None, now: datetime) -> None:
        """Write the "Action" history item of one action run (``error`` None: it succeeded)."""


class ActionCallbackRegistry:
    """ARN prefix → callback; the longest matching prefix wins."""

    def __init__(self) -> None:
        self._callbacks: dict[str, ActionCallback] = {}
        self._lock = threading.Lock()

    def register(self, arn_prefix: str, callback: ActionCallback) -> None:
        with self._lock:
            self._callbacks[arn_prefix] = callback

    def find(self, arn: str) -> ActionCallback | None:
        with self._lock:
            matches = [p for p in self._callbacks if arn.startswith(p)]
            return self._callbacks[max(matches, key=len)] if matches else None


def sns_notification(transition: Transition, target: str) -> dict:
    """The JSON body SNS would deliver to an HTTP subscriber for an alarm change."""
    d = transition.definition
    trigger = {
        "MetricName": d.get("MetricName"), "Namespace": d.get("Namespace"),
        "StatisticType": "ExtendedStatistic" if d.get("ExtendedStatistic") else "Statistic",
        "Statistic": (d.get("ExtendedStatistic") or d.get("Statistic") or "").upper() or None,
        "Unit": d.get("Unit"),
        "Dimensions": [{"value": x["Value"], "name": x["Name"]} for x in d.get("Dimensions", [])],
        "Period": d.get("Period"), "EvaluationPeriods": d.get("EvaluationPeriods"),
        "DatapointsToAlarm": d.get("DatapointsToAlarm"), "ComparisonOperator": d.get("ComparisonOperator"),
        "Threshold": d.get("Threshold"), "TreatMissingData": d.get("TreatMissingData", "missing"),
        "EvaluateLowSampleCountPercentile": d.get("EvaluateLowSampleCountPercentile", ""),
    }
    message = {
        "AlarmName": transition.alarm_name, "AlarmDescription": d.get("AlarmDescription"),
        "AWSAccountId": transition.account_id,
        "AlarmConfigurationUpdatedTimestamp": _iso(transition.configuration_updated_at),
        "NewStateValue": transition.new_state, "NewStateReason": transition.reason,
        "StateChangeTime": _iso(transition.timestamp), "Region": transition.region,
        "AlarmArn": transition.alarm_arn, "OldStateValue": transition.old_state,
    }
    if transition.alarm_type == "CompositeAlarm":
        message["AlarmRule"] = d.get("AlarmRule")
    else:
        message["Trigger"] = trigger
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": target,
        "Subject": f'{transition.new_state}: "{transition.alarm_name}" in {transition.region}',
        "Message": json.dumps(message),
        "Timestamp": _iso(transition.timestamp),
        "SignatureVersion": "1",
    }


def _iso(ts) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


class WebhookSender:
    """POSTs JSON bodies from a small thread pool, with retries and backoff."""

    def __init__(self, attempts: int = 5, first_delay: float = 1.0, timeout: float = 10.0, workers: int = 4,
                 sleep: Callable[[float], None] = time.sleep):
        self.attempts, self.first_delay, self.timeout = attempts, first_delay, timeout
        self._sleep = sleep
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cw-webhook")

    def submit(self, url: str, body: dict | str, headers: Mapping[str, str] | None = None):
        """POST ``body`` (a dict is sent as JSON; a str as is — SNS raw message delivery) with
        ``headers`` added to the SNS ones."""
        payload = (body if isinstance(body, str) else json.dumps(body)).encode()
        return self._pool.submit(self._deliver, url, payload, dict(headers or {}))

    def _deliver(self, url: str, payload: bytes, headers: Mapping[str, str] | None = None) -> bool:
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            request = urllib.request.Request(url, data=payload, method="POST", headers={
                "Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": "Notification",
                **(headers or {})})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    if 200 <= response.status < 300:
                        return True
            except urllib.error.HTTPError as err:
                if 400 <= err.code < 500 and err.code not in (408, 429):
                    log.warning("webhook %s refused the notification: HTTP %s", url, err.code)
                    return False
            except (urllib.error.URLError, OSError) as err:
                log.info("webhook %s attempt %d failed: %s", url, attempt, err)
            if attempt < self.attempts:
                self._sleep(delay)
                delay *= 2
        log.warning("webhook %s: giving up after %d attempts", url, self.attempts)
        return False

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)


class DefaultActionDispatcher:
    """Routes each action of a transition to the webhook sender or a registered callback."""

    def __init__(self, registry: ActionCallbackRegistry | None = None, webhooks: WebhookSender | None = None,
                 workers: int = 4, history: ActionHistory | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)):
        self.registry = registry or ActionCallbackRegistry()
        self.webhooks = webhooks or WebhookSender()
        self.history = history
        self.clock = clock
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="cw-action")

    def dispatch(self, transition: Transition) -> None:
        for action in transition.actions:
            # A registered prefix wins over the webhook sender: this server's own signal
            # URLs are http(s) URLs too, but are delivered in process as stack signals.
            callback = self.registry.find(action)
            if callback is None and action.startswith(("http://", "https://")):
                delivery = self.webhooks.submit(action, sns_notification(transition, action))
                delivery.add_done_callback(lambda done, action=action: self._webhook_done(transition, action, done))
                continue
            if callback is None:
                log.warning("alarm %s: no handler for action %s", transition.alarm_name, action)
                self._record(transition, action, "No handler for this action in cfnapi.")
                continue
            self._pool.submit(self._run_callback, callback, action, transition)

    def _run_callback(self, callback: ActionCallback, action: str, transition: Transition) -> None:
        try:
            callback(action, transition)
        except Exception as error:  # one failing action must not stop the others
            log.exception("alarm %s: action %s failed", transition.alarm_name, action)
            self._record(transition, action, f"{type(error).__name__}: {error}")
        else:
            self._record(transition, action, None)

    def _webhook_done(self, transition: Transition, action: str, delivery: Future) -> None:
        delivered = not delivery.cancelled() and delivery.exception() is None and delivery.result()
        self._record(transition, action, None if delivered else
                     "The HTTP endpoint did not accept the notification (see the server log).")

    def _record(self, transition: Transition, action: str, error: str | None) -> None:
        if self.history is None:
            return
        try:
            self.history.record_action(transition, action, error, self.clock())
        except Exception:  # history must never break the action path
            log.exception("alarm %s: the history item of action %s could not be written", transition.alarm_name,
                          action)

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)
        self.webhooks.shutdown(wait=wait)

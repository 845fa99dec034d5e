"""The one place that builds a process's services, handlers and background workers.

Everything ``cfnapi serve`` consists of is chosen here from its settings, so a
newcomer sees in one file how the pieces are put together.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from cfnapi.auth import CredentialStore
from cfnapi.autoscaling.alarm_actions import ARN_PREFIX as AUTOSCALING_ARN_PREFIX
from cfnapi.autoscaling.alarm_actions import AutoScalingActions
from cfnapi.autoscaling.store import AutoScalingStore
from cfnapi.autoscaling.worker import GroupReconciler, ScalingWorker
from cfnapi.cloud.naming import ProviderCloudLookup, load_naming_file
from cfnapi.cloud.services import CloudServices
from cfnapi.cloudwatch.actions import DefaultActionDispatcher
from cfnapi.cloudwatch.alarms import AlarmStore
from cfnapi.cloudwatch.evaluator import AlarmEvaluator
from cfnapi.cloudwatch.signal_actions import StackSignalActions, signal_action_prefix
from cfnapi.config import Settings
from cfnapi.db import Database
from cfnapi.engine import api as engine_api
from cfnapi.engine.runtime import EngineRuntime, EngineSettings
from cfnapi.engine.template_binding import TemplateCompiler
from cfnapi.engine.worker import StackWorker
from cfnapi.handlers.base import RequestContext
from cfnapi.handlers.cloudformation import CloudFormationHandlers
from cfnapi.handlers.cloudwatch import CloudWatchHandlers
from cfnapi.ssm.store import ParameterStore
from cfnapi.signals import SignalTarget, SignalUrls, server_secret, signal_route
from cfnapi.sns import TopicStore
from cfnapi.sns.fanout import ARN_PREFIX as SNS_ARN_PREFIX
from cfnapi.sns.fanout import TopicNotifications
from cfnapi.template_url import TemplateUrlPolicy, fetch_template
from cfnapi.translate.registry import default_registry


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class EvaluatorThread:
    """Runs the alarm evaluator's loop in a thread; start/stop like the other workers."""

    evaluator: AlarmEvaluator
    interval_seconds: float
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.evaluator.run, args=(self.interval_seconds, self._stop),
                                        name="alarm-evaluator", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


def build_cloud(settings: Settings, db: Database, credentials: CredentialStore) -> CloudServices:
    stores = dict(credentials=credentials, parameters=ParameterStore(db), alarms=AlarmStore(db),
                  autoscaling=AutoScalingStore(db), topics=TopicStore(db))
    if settings.cloud == "openstack":
        cloud = _openstack_cloud(settings, stores)
    else:
        cloud = _sim_cloud(settings, db, stores)
    if settings.naming_config:
        cloud.naming_config = load_naming_file(settings.naming_config)
    return cloud


def _sim_cloud(settings: Settings, db: Database, stores: dict) -> CloudServices:
    """The embedded simulated cloud, seeded from its config (whose aws_naming section it keeps)."""
    from cfnapi.cloud.services import sim_services
    from cfnapi.cloud.sim import load_config, seed

    config = load_config(settings.cloud_config)
    seed(db, config)
    return sim_services(db, config, **stores)


def _openstack_cloud(settings: Settings, stores: dict) -> CloudServices:
    """The openstacksdk provider; with ``--keystone-auth-cloud``, Keystone EC2 credentials sign in too."""
    from cfnapi.auth.keystone_ec2 import KeystoneEc2Verifier, LocalThenKeystoneVerifier, ProjectTokens
    from cfnapi.cloud.keystone_projects import ProjectProviders
    from cfnapi.cloud.keystone_trusts import ProjectTrusts
    from cfnapi.cloud.openstack import OpenStackCloud, connect

    connection = connect(settings.cloud_name)
    default = OpenStackCloud(connection)
    if not settings.keystone_auth_cloud:
        return CloudServices(provider_for=lambda _project: default, **stores)
    service = connect(settings.keystone_auth_cloud)
    identity_url = service.session.get_endpoint(service_type="identity", interface="public").rstrip("/")
    if not identity_url.endswith("/v3"):
        identity_url += "/v3"
    tokens = ProjectTokens()
    return CloudServices(
        provider_for=ProjectProviders(default, tokens, identity_url, connection.config.region_name,
                                      trusts=ProjectTrusts(service, connection.config.region_name)),
        **stores,
        request_verifier=LocalThenKeystoneVerifier(
            stores["credentials"], KeystoneEc2Verifier(service.session, identity_url, tokens)),
    )


def public_endpoint(settings: Settings) -> str:
    return settings.public_endpoint or f"http://{settings.host}:{settings.port}"


def build_services(settings: Settings, db: Database, credentials: CredentialStore):
    """Return (handlers by service name, background workers, pre-auth routes, request verifier or None)."""
    registry = default_registry()
    cloud = build_cloud(settings, db, credentials)
    signal_urls = SignalUrls(server_secret(db, "wait-condition-signals"), public_endpoint(settings))
    url_policy = TemplateUrlPolicy(
        allow_private_addresses=settings.template_url_allow_private, file_root=settings.template_file_root
    )
    compiler = TemplateCompiler(
        registry.supported(),
        # The same naming as running stacks, so a parameter check agrees with what create will do.
        lookup_for=lambda identity: ProviderCloudLookup(cloud.provider(identity.account_id),
                                                        cloud.naming(identity.account_id)),
        parameter_store_for=lambda identity: cloud.parameters.scoped(identity.account_id, identity.region),
        attributes_for=registry.attribute_names,
        # AWS::Include snippets are fetched under the same policy as TemplateURL.
        include_fetcher=lambda location: fetch_template(location, url_policy),
    )
    runtime = EngineRuntime(
        db=db,
        registry=registry,
        compiler=compiler,
        cloud=cloud,
        presign_signal_url=lambda stack_id, logical_id: signal_urls.url(
            SignalTarget(_account_of(stack_id), stack_id, logical_id)),
        url_policy=url_policy,
        settings=EngineSettings(lease_seconds=settings.lease_seconds, stack_threads=settings.stack_threads),
    )
    worker = StackWorker(runtime)
    runtime.work_queued = worker.wake
    runtime.lease_new_stack, runtime.start_leased = worker.lease_new_stack, worker.start_leased
    cloudformation = CloudFormationHandlers(registry.supported(), url_policy, engine_api=engine_api,
                                            runtime=runtime)
    dispatcher = DefaultActionDispatcher(history=AlarmStore(db))  # each action run gets its history item
    # Auto Scaling: alarm actions queue work durably; the scaling worker does it.
    scaling = ScalingWorker(GroupReconciler(cloud.autoscaling, cloud), runtime.worker_id,
                            interval=settings.scaling_interval)
    dispatcher.registry.register(AUTOSCALING_ARN_PREFIX, AutoScalingActions(cloud.autoscaling, scaling.wake))
    # SNS: an alarm action naming a topic fans out to its HTTP(S) subscribers.
    dispatcher.registry.register(SNS_ARN_PREFIX, TopicNotifications(cloud.topics, dispatcher.webhooks))
    cloudwatch = CloudWatchHandlers(db, settings, dispatcher=dispatcher)
    # Each alarm is due again one evaluation interval after it was claimed (60 s unless
    # CFNAPI_ALARM_INTERVAL shortens it), so the loop and the alarms keep the same pace.
    evaluator = EvaluatorThread(AlarmEvaluator(db, _utcnow, dispatcher,
                                               interval=timedelta(seconds=settings.alarm_interval)),
                                settings.alarm_interval)

    def record_signal(target: SignalTarget, signal: dict) -> None:
        caller = RequestContext(account_id=target.account_id, access_key_id="", region=settings.region,
                                request_id="")
        engine_api.signal_resource(runtime, caller, {
            "StackName": target.stack_id, "LogicalResourceId": target.logical_id,
            "UniqueId": str(signal.get("UniqueId") or ""), "Status": signal["Status"],
            "Data": _text(signal.get("Data")), "Reason": _text(signal.get("Reason")),
        })
        worker.wake()

    # Stack signal actions: an alarm action that is one of our own signal URLs signals that resource.
    dispatcher.registry.register(signal_action_prefix(signal_urls), StackSignalActions(signal_urls, record_signal))
    services = {"cloudformation": cloudformation, "cloudwatch": cloudwatch}
    return services, [worker, scaling, evaluator], [signal_route(signal_urls, record_signal)], cloud.request_verifier


def _account_of(stack_id: str) -> str:
    # arn:aws:cloudformation:{region}:{account}:stack/{name}/{uuid}
    return stack_id.split(":")[4]


def _text(value) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)

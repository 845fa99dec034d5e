"""What resource types reach through ``ResourceContext.cloud``.

The engine hands every resource type the same object; a type asks it for the
provider of its stack's project (``provider(ctx.account_id)``) and for the
other stores cfnapi keeps itself (credentials for AWS::IAM::AccessKey, the
SSM parameter store). Keeping them behind one small object means the engine
needs to know nothing about clouds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cfnapi.cloud.naming import CloudNaming, NamingConfig
from cfnapi.cloud.provider import CloudProvider


@dataclass
class CloudServices:
    provider_for: Callable[[str], CloudProvider]  # project (account) id -> provider scoped to it
    naming_config: NamingConfig = field(default_factory=lambda: NamingConfig.from_mapping({}))
    credentials: Any = None  # cfnapi.auth.CredentialStore
    parameters: Any = None  # cfnapi's SSM parameter store
    alarms: Any = None  # cfnapi's CloudWatch alarms (AWS::CloudWatch::Alarm): cfnapi.cloudwatch.AlarmStore
    autoscaling: Any = None  # Auto Scaling groups and policies: cfnapi.autoscaling.store.AutoScalingStore
    topics: Any = None  # cfnapi's SNS topics and subscriptions (AWS::SNS::*): cfnapi.sns.TopicStore
    # SignedRequest -> VerifiedCaller when the cloud verifies signatures too (Keystone EC2
    # credentials); None: cfnapi's own credential store alone.
    request_verifier: Callable[[Any], Any] | None = None

    def provider(self, project_id: str) -> CloudProvider:
        return self.provider_for(project_id)

    def naming(self, project_id: str) -> CloudNaming:
        return CloudNaming(self.provider(project_id), self.naming_config)

    def availability_zones(self, project_id: str, region: str) -> list[str]:
        """What ``Fn::GetAZs`` returns in a running stack: the cloud's zones under AWS names."""
        return self.naming(project_id).aws_availability_zones(region)


def sim_services(db, config, **stores: Any) -> CloudServices:
    """The embedded simulated cloud: one SimCloud per project over cfnapi's database."""
    from cfnapi.cloud.sim import SimCloud

    return CloudServices(provider_for=lambda project_id: SimCloud(db, project_id, config),
                         naming_config=config.naming, **stores)

"""``ParameterStore``: get / put / delete SSM parameters per account and region.

AWS publishes read-only public parameters under ``/aws/service/…`` (the latest
AMI ids); templates use them as ``AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>``
defaults. Here they are answered from a table mapping each path onto an image
*name* of the cloud (the sim's seed has ``amazon-linux-2023``, ``ubuntu-22.04``),
which ``CloudNaming.image_for`` resolves like any ImageId.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from cfnapi.db import Database
from cfnapi.ssm.models import SsmParameterRow

# Public AMI paths → image name in the cloud; override per deployment with ``public_parameters``.
PUBLIC_IMAGE_PARAMETERS: Mapping[str, str] = {
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64": "amazon-linux-2023",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-x86_64": "amazon-linux-2023",
    # The arm64 builds (Graviton samples such as EC2_InstanceWithCfnInit): the seed has one architecture.
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64": "amazon-linux-2023",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64": "amazon-linux-2023",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2": "amazon-linux-2023",
    "/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2": "amazon-linux-2023",
    "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id": "ubuntu-22.04",
    "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id": "ubuntu-24.04",
}

PUBLIC_PREFIX = "/aws/"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    value: str
    version: int
    description: str = ""
    data_type: str = "text"
    last_modified: dt.datetime | None = None


class ParameterStore:
    def __init__(self, db: Database, public_parameters: Mapping[str, str] | None = None):
        self.db = db
        self.public_parameters = dict(PUBLIC_IMAGE_PARAMETERS if public_parameters is None else public_parameters)

    def get(self, account_id: str, region: str, name: str) -> Parameter | None:
        if name in self.public_parameters:
            return Parameter(name, "String", self.public_parameters[name], 1, data_type="aws:ec2:image")
        with self.db.transaction() as session:
            row = session.get(SsmParameterRow, (account_id, region, name))
            return None if row is None else _view(row)

    def put(
        self,
        account_id: str,
        region: str,
        name: str,
        value: str,
        *,
        type: str = "String",
        description: str = "",
        data_type: str = "text",
        overwrite: bool = False,
    ) -> Parameter:
        """Create or (with ``overwrite``) replace; raises ``ParameterAlreadyExists``/``ValueError``."""
        if name.startswith(PUBLIC_PREFIX):
            raise ValueError(f"No access to reserved parameter name: {name}.")
        now = dt.datetime.now(dt.timezone.utc)
        with self.db.transaction() as session:
            row = session.get(SsmParameterRow, (account_id, region, name))
            if row is not None and not overwrite:
                raise ParameterAlreadyExists(
                    "The parameter already exists. To overwrite this value, set the overwrite option "
                    "in the request to true."
                )
            if row is None:
                row = SsmParameterRow(account_id=account_id, region=region, name=name, version=0)
                session.add(row)
            row.type, row.value, row.description, row.data_type = type, value, description, data_type
            row.version = (row.version or 0) + 1
            row.last_modified = now
            session.flush()
            return _view(row)

    def delete(self, account_id: str, region: str, name: str) -> bool:
        """False when there was nothing to delete."""
        with self.db.transaction() as session:
            row = session.get(SsmParameterRow, (account_id, region, name))
            if row is None:
                return False
            session.delete(row)
            return True

    def scoped(self, account_id: str, region: str) -> ScopedParameters:
        return ScopedParameters(self, account_id, region)


class ParameterAlreadyExists(Exception):
    pass


@dataclass(frozen=True)
class ScopedParameters:
    """One account's view in one region: the template package's ``ParameterStore`` (``get(name)``)."""

    store: ParameterStore
    account_id: str
    region: str

    def get(self, name: str) -> str | None:
        parameter = self.store.get(self.account_id, self.region, name)
        return None if parameter is None else parameter.value


def _view(row: SsmParameterRow) -> Parameter:
    return Parameter(row.name, row.type, row.value, row.version, row.description or "", row.data_type or "text",
                     row.last_modified)

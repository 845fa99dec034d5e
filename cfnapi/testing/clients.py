"""Real AWS clients pointed at a cfnapi endpoint, with the protocol chosen.

botocore picks CloudWatch's protocol from the model's ``protocols`` list
(json first). To drive query and CBOR too, we hand botocore a copy of its own
CloudWatch model whose ``protocols`` list names only the wanted one, through
a data path searched before botocore's own — the client code is unchanged.
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import boto3
import botocore.session
from botocore.config import Config

from cfnapi.testing.server import TEST_ACCESS_KEY, TEST_SECRET_KEY

CLOUDWATCH_PROTOCOLS = ("query", "json", "smithy-rpc-v2-cbor")


@cache
def protocol_data_path(protocol: str) -> str:
    """A botocore data directory whose CloudWatch model speaks only ``protocol``."""
    loader = botocore.session.get_session().get_component("data_loader")
    model = loader.load_service_model("cloudwatch", "service-2")
    model["metadata"]["protocols"] = [protocol]
    model["metadata"]["protocol"] = protocol
    version = model["metadata"]["apiVersion"]
    root = Path(tempfile.mkdtemp(prefix=f"cfnapi-cw-{protocol}-"))
    target = root / "cloudwatch" / version
    target.mkdir(parents=True)
    (target / "service-2.json").write_text(json.dumps(model))
    return str(root)


@cache
def shared_session(protocol: str | None):
    """One botocore session per protocol, for single-threaded tests that make many clients:
    the session keeps the loaded models, so a client costs milliseconds, not a model load."""
    return _session(protocol)


def _session(protocol: str | None):
    session = botocore.session.get_session()
    if protocol is not None:
        session.set_config_variable("data_path", protocol_data_path(protocol))
    return session


def client(service: str, endpoint: str, *, protocol: str | None = None,
           access_key: str = TEST_ACCESS_KEY, secret_key: str = TEST_SECRET_KEY, region: str = "us-east-1",
           parameter_validation: bool = True, session=None):
    """A boto3 client; ``parameter_validation=False`` lets bad input reach the server (to test its errors).
    A fresh botocore session unless ``session`` is given (sessions are not shared across threads)."""
    return boto3.Session(botocore_session=session or _session(protocol)).client(
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=60,
                      parameter_validation=parameter_validation),
    )

"""``cfnapi ssm get-parameter``: a parameter of cfnapi's store read by account, access key or the
administrator's account by default, in the region asked for."""

from pathlib import Path

import pytest

from cfnapi.auth import CredentialStore
from cfnapi.cli import main
from cfnapi.config import Settings
from cfnapi.server import open_database
from cfnapi.ssm import ParameterStore


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "data"


def _stores(data_dir: Path):
    db = open_database(Settings(data_dir=data_dir, run_api=False, run_worker=False))
    return CredentialStore(db), ParameterStore(db), db


def test_get_parameter_by_account_key_and_admin_default(data_dir, capsys):
    credentials, parameters, db = _stores(data_dir)
    admin = credentials.ensure_admin().credential
    other = credentials.create(account_name="tenant")
    parameters.put(admin.account_id, "us-east-1", "/ec2/keypair/key-1", "ADMIN PEM", type="SecureString")
    parameters.put(other.account_id, "us-east-1", "/ec2/keypair/key-1", "TENANT PEM", type="SecureString")
    parameters.put(other.account_id, "eu-west-1", "/ec2/keypair/key-1", "TENANT EU PEM")
    db.dispose()
    common = ["--data-dir", str(data_dir)]

    assert main(["ssm", "get-parameter", "/ec2/keypair/key-1", *common]) == 0
    assert capsys.readouterr().out == "ADMIN PEM\n"
    assert main(["ssm", "get-parameter", "/ec2/keypair/key-1", "--account-id", other.account_id, *common]) == 0
    assert capsys.readouterr().out == "TENANT PEM\n"
    assert main(["ssm", "get-parameter", "/ec2/keypair/key-1", "--access-key-id", other.access_key_id,
                 "--region", "eu-west-1", *common]) == 0
    assert capsys.readouterr().out == "TENANT EU PEM\n"


def test_missing_parameter_or_key_fails_with_a_message(data_dir, capsys):
    common = ["--data-dir", str(data_dir)]
    assert main(["ssm", "get-parameter", "/nothing", *common]) == 1
    assert "ParameterNotFound: Parameter /nothing not found." in capsys.readouterr().err
    assert main(["ssm", "get-parameter", "/nothing", "--access-key-id", "AKIANOSUCHKEY", *common]) == 1
    assert "No access key AKIANOSUCHKEY." in capsys.readouterr().err

"""`cfnapi sim set-server-status`: an operator forces any project's server into ERROR."""

from cfnapi import cli
from cfnapi.cloud.provider import ServerRequest
from cfnapi.cloud.sim import SimCloud, load_config
from cfnapi.config import Settings
from cfnapi.server import open_database

from tests.cloud.conftest import CIRROS, PROJECT


def test_set_server_status_from_the_command_line(tmp_path, capsys):
    db = open_database(Settings(data_dir=tmp_path))
    cli.main(["sim", "show", "--data-dir", str(tmp_path)])  # seeds the sim
    capsys.readouterr()
    cloud = SimCloud(db, PROJECT, load_config())
    server = cloud.create_server(ServerRequest(name="web", image_id=CIRROS, flavor_id="1"))

    assert cli.main(["sim", "set-server-status", server.id, "ERROR", "--data-dir", str(tmp_path)]) == 0
    assert '"status": "ERROR"' in capsys.readouterr().out
    forced = cloud.get_server(server.id)
    assert forced.status == "ERROR" and "set-server-status" in forced.fault

    assert cli.main(["sim", "set-server-status", server.id, "SHUTOFF", "--data-dir", str(tmp_path)]) == 0
    assert cloud.get_server(server.id).status == "SHUTOFF"
    assert cli.main(["sim", "set-server-status", "no-such-server", "ERROR", "--data-dir", str(tmp_path)]) == 1
    assert "could not be found" in capsys.readouterr().err
    db.dispose()

"""``--agent-ports``: the extra ports heat-cfntools' agents hard-code (8000 CloudFormation, 8003 CloudWatch)."""

import pytest

from cfnapi.cli import _settings, build_parser


def settings_of(*argv: str):
    args = build_parser().parse_args(["serve", *argv])
    return _settings(args, run_api=True, run_worker=True)


def test_agent_ports_are_listened_on_beside_the_main_port():
    settings = settings_of("--port", "9000", "--agent-ports", "8000,8003")
    assert settings.agent_ports == (8000, 8003)
    assert settings.listen_ports == (9000, 8000, 8003)


def test_main_port_is_not_listened_on_twice():
    assert settings_of("--agent-ports", "8000,8003").listen_ports == (8000, 8003)


def test_no_agent_ports_by_default(monkeypatch):
    monkeypatch.delenv("CFNAPI_AGENT_PORTS", raising=False)
    assert settings_of().listen_ports == (8000,)


@pytest.mark.parametrize("bad", ["80a", "0", "70000"])
def test_bad_port_list_is_a_usage_error(bad, capsys):
    with pytest.raises(SystemExit) as exit_info:
        settings_of("--agent-ports", bad)
    assert exit_info.value.code == 2
    assert "--agent-ports" in capsys.readouterr().err

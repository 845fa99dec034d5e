"""AgentHost leaves the machine as it found it. The fixed system paths are
redirected into tmp_path here, so this runs anywhere, as any user."""

import pytest

from cfnapi.testing import agents


@pytest.fixture
def paths(tmp_path, monkeypatch):
    root = tmp_path / "root"
    for name, sub in (("STATE_DIR", "var/lib/heat-cfntools"), ("CACHE_DIR", "var/cache/heat-cfntools"),
                      ("CONFIG_DIR", "etc/cfn")):
        monkeypatch.setattr(agents, name, root / sub)
    monkeypatch.setattr(agents, "NOVA_META", root / "var/lib/heat-cfntools/nova_meta.json")
    monkeypatch.setattr(agents, "BOTO_CONFIG", root / "var/lib/heat-cfntools/cfn-boto-cfg")
    monkeypatch.setattr(agents, "HUP_CONFIG", root / "etc/cfn/cfn-hup.conf")
    logs = (root / "var/log/cfn-push-stats.log", root / "var/log/cfn-hup.log")
    monkeypatch.setattr(agents, "LOG_FILES", logs)
    monkeypatch.setattr(agents, "LOCK_PATH", tmp_path / "agents.lock")
    monkeypatch.setattr(agents, "AGENT_PORTS", ())
    monkeypatch.setattr(agents.os, "geteuid", lambda: 0)
    (root / "var/log").mkdir(parents=True)
    return root, logs


def test_existing_files_come_back_and_scratch_goes(tmp_path, paths):
    root, (push_log, hup_log) = paths
    (root / "etc/cfn").mkdir(parents=True)
    (root / "etc/cfn/cfn-hup.conf").write_text("the machine's own\n")
    push_log.write_text("old log\n")
    with agents.AgentHost(tmp_path / "work") as host:
        assert not (root / "etc/cfn/cfn-hup.conf").exists()  # moved aside while we run
        host.set_identity("uuid-1", {"role": "web"})
        host.write_boto_config()
        push_log.write_text("old log\nour lines\n")
        hup_log.write_text("ours\n")
    assert (root / "etc/cfn/cfn-hup.conf").read_text() == "the machine's own\n"
    assert not (root / "var/lib/heat-cfntools").exists()  # did not exist before
    assert not (root / "var/cache/heat-cfntools").exists()
    assert push_log.read_text() == "old log\n"
    assert not hup_log.exists()
    assert not list(root.glob("**/.*cfnapi-aside-*"))


def test_an_aside_copy_left_by_a_crashed_run_is_put_back(tmp_path, paths):
    root, _ = paths
    aside = root / "var/lib/.heat-cfntools.cfnapi-aside-4242"
    aside.mkdir(parents=True)
    (aside / "nova_meta.json").write_text('{"uuid": "real"}')
    (root / "var/lib/heat-cfntools").mkdir()
    (root / "var/lib/heat-cfntools/nova_meta.json").write_text('{"uuid": "crashed-test"}')
    with agents.AgentHost(tmp_path / "work"):
        pass
    assert (root / "var/lib/heat-cfntools/nova_meta.json").read_text() == '{"uuid": "real"}'
    assert not aside.exists()


def test_no_agent_runs_before_the_instance_identity_is_written(tmp_path, paths):
    with agents.AgentHost(tmp_path / "work") as host:
        host.write_boto_config()
        with pytest.raises(RuntimeError, match="nova_meta.json"):
            host.run("cfn-push-stats", "--heartbeat")  # it would ask 169.254.169.254 for it


def test_agents_get_no_proxy_and_only_loopback(tmp_path, paths, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFROMTHEENV")
    with agents.AgentHost(tmp_path / "work") as host:
        env = host.environment()
        host.write_boto_config()
        boto_config = agents.BOTO_CONFIG.read_text()
    assert not {"HTTPS_PROXY", "http_proxy", "AWS_ACCESS_KEY_ID"} & set(env)
    assert env["AWS_EC2_METADATA_DISABLED"] == "true" and env["NO_PROXY"] == "*"
    assert "cloudwatch_region_endpoint = 127.0.0.1" in boto_config and "cfn_region_endpoint = 127.0.0.1" in boto_config


def test_a_held_lock_means_unavailable_and_touches_nothing(tmp_path, paths):
    with agents.AgentHost(tmp_path / "first") as first:
        first.set_identity("first-run")
        with pytest.raises(agents.AgentHostUnavailable, match="holds"):
            agents.AgentHost(tmp_path / "second", lock_timeout=0).__enter__()
        assert agents.NOVA_META.read_text() == '{"uuid": "first-run", "meta": {}, "name": "instance-first-ru"}'


def test_a_busy_port_means_unavailable_and_touches_nothing(tmp_path, paths, monkeypatch):
    root, _ = paths
    (root / "etc/cfn").mkdir(parents=True)
    (root / "etc/cfn/cfn-hup.conf").write_text("the machine's own\n")
    monkeypatch.setattr(agents, "AGENT_PORTS", (8003,))
    monkeypatch.setattr(agents, "port_is_free", lambda port: False)
    with pytest.raises(agents.AgentHostUnavailable, match=r"\[8003\] are in use"):
        agents.AgentHost(tmp_path / "work").__enter__()
    assert (root / "etc/cfn/cfn-hup.conf").read_text() == "the machine's own\n"

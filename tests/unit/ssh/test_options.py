"""SshOptions from Kamal's `ssh:` keys, jump-host specs and ProxyCommand tokens."""

from __future__ import annotations

import pytest

from dockyard.config.build import build_ssh
from dockyard.errors import ConfigError
from dockyard.ssh.options import JumpHost, SshOptions, expand_proxy_command, parse_jump_host


def test_defaults_follow_kamal() -> None:
    options = SshOptions.from_config(build_ssh({}))
    assert (options.user, options.port, options.proxy, options.config) == ("root", 22, None, True)
    assert options.log_level == "fatal"
    assert options.max_concurrent_starts == 30
    assert options.known_hosts is None  # ~/.ssh/known_hosts, checked


def test_a_silent_host_is_given_up_within_15_seconds() -> None:
    """dockyard's keepalives, not Kamal's 30 s (issue #12): every 4 s of silence, 2 unanswered."""
    options = SshOptions.from_config(build_ssh({}))
    assert (options.keepalive_interval, options.keepalive_count_max) == (4.0, 2)
    assert options.silence_limit == 12.0


def test_every_kamal_key_is_read() -> None:
    options = SshOptions.from_config(
        build_ssh(
            {
                "user": "deploy",
                "port": 2222,
                "proxy": "bastion.example.com",
                "keys": ["~/.ssh/deploy"],
                "keys_only": True,
                "key_data": ["SSH_KEY", "-----BEGIN inline"],
                "config": ["~/.ssh/a", "/etc/ssh/b"],
                "forward_agent": True,
                "log_level": "debug",
            }
        ),
        secrets={"SSH_KEY": "-----BEGIN from secret"},
        max_concurrent_starts=5,
    )
    assert options.proxy == JumpHost("bastion.example.com", 22, "root")
    assert options.key_data == ("-----BEGIN from secret", "-----BEGIN inline")
    assert options.config == ("~/.ssh/a", "/etc/ssh/b")
    assert (options.user, options.port, options.keys, options.keys_only) == (
        "deploy",
        2222,
        ("~/.ssh/deploy",),
        True,
    )
    assert (options.forward_agent, options.log_level_number, options.max_concurrent_starts) == (
        True,
        10,
        5,
    )


def test_config_may_be_false_or_one_path() -> None:
    assert SshOptions.from_config(build_ssh({"config": False})).config is False
    assert SshOptions.from_config(build_ssh({"config": "/x/config"})).config == ("/x/config",)


def test_only_named_key_data_is_a_secret_to_resolve() -> None:
    ssh = build_ssh({"key_data": ["SSH_KEY", "-----BEGIN inline"]})
    assert ssh.key_data_secrets == ("SSH_KEY",)


def test_key_data_never_shows_in_repr() -> None:
    assert "BEGIN" not in repr(SshOptions(key_data=("-----BEGIN secret",)))


@pytest.mark.parametrize(
    ("spec", "jump"),
    [
        ("bastion", JumpHost("bastion", 22, "root")),
        ("app@bastion", JumpHost("bastion", 22, "app")),
        ("app@10.0.0.1:2222", JumpHost("10.0.0.1", 2222, "app")),
        ("[::1]:2200", JumpHost("::1", 2200, "root")),
        ("::1", JumpHost("::1", 22, "root")),
    ],
)
def test_jump_host_specs(spec: str, jump: JumpHost) -> None:
    assert parse_jump_host(spec) == jump


def test_a_jump_host_prints_as_its_spec() -> None:
    assert str(JumpHost("b", 2222, "app")) == "app@b:2222"
    assert str(JumpHost("b")) == "root@b"


@pytest.mark.parametrize("spec", ["app@", "b:port", "b:0", "b:70000"])
def test_bad_jump_hosts_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_jump_host(spec)
    assert caught.value.key == "ssh/proxy"
    assert "write it as user@host[:port]" in str(caught.value)


def test_bad_values_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="ssh/log_level: should be one of"):
        SshOptions(log_level="loud")
    with pytest.raises(ConfigError, match="sshkit/max_concurrent_starts: should be at least 1"):
        SshOptions(max_concurrent_starts=0)


def test_proxy_command_tokens() -> None:
    expanded = expand_proxy_command("nc -x %% %h %p # %r %z", host="h", port=22, user="u")
    assert expanded == "nc -x % h 22 # u %z"

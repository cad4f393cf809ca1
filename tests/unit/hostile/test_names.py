"""Issue #18: every name that reaches a server is checked when the config is loaded, with the
key path, the value and the rule in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import ConfigError
from dockyard.loading import load_config
from tests.unit.config.conftest import BASE, error_of, parse

SERVERS = "servers: [1.1.1.1]\n"
ENGINE = "may hold only letters, digits, _, . and - (the container engine's rule for names)"


def message(text: str) -> str:
    error = error_of(text)
    assert "\n" not in str(error)
    return f"{error.key}: {error.message}"


def test_a_service_too_long_for_the_proxy_alias() -> None:
    service = "a" * 100
    assert message(BASE.replace("service: app", f"service: {service}") + SERVERS) == (
        f"service: '{'a' * 40}…' (100 characters) makes the proxy's network alias of role web "
        "107 characters long; a DNS label holds at most 63: shorten the service, role or "
        "destination"
    )


def test_the_longest_service_that_fits() -> None:
    service = "a" * (63 - len("-web--a"))
    assert parse(BASE.replace("service: app", f"service: {service}") + SERVERS).service == service


def test_a_destination_counts_in_the_alias() -> None:
    service = "a" * (63 - len("-web--a"))
    text = BASE.replace("service: app", f"service: {service}") + SERVERS
    with pytest.raises(ConfigError, match="makes the proxy's network alias of role web 71"):
        parse(text, destination="staging", extra="x-a: 1\n")


def test_a_worker_role_has_no_alias_to_fit() -> None:
    service = "a" * 60
    text = BASE.replace("service: app", f"service: {service}") + (
        "servers:\n  jobs: {hosts: [1.1.1.2], proxy: false}\nprimary_role: jobs\n"
    )
    assert parse(text).container_name("jobs") == f"{service}-jobs-v1"


@pytest.mark.parametrize("role", ["web;touch /tmp/x", "web app", "web/../x", "wéb"])
def test_role_names(role: str) -> None:
    text = BASE + f'servers:\n  web: [1.1.1.1]\n  "{role}": [1.1.1.2]\n'
    assert message(text) == f"servers/{role}: role name {role!r} {ENGINE}"


def test_a_service_starts_with_a_letter_or_digit() -> None:
    assert message(BASE.replace("service: app", "service: _app") + SERVERS) == (
        "service: '_app' may hold only letters, digits, _, . and -, starting with a letter or "
        "digit (the container engine's rule for names)"
    )


@pytest.mark.parametrize(
    ("labels", "key"), [('{"a b": x}', "a b"), ('{"a=b": x}', "a=b"), ('{"": x}', "")]
)
def test_label_names(labels: str, key: str) -> None:
    assert message(BASE + SERVERS + f"labels: {labels}\n") == (
        f"labels/{key}: label name {key!r} may not be empty or hold spaces, = or control "
        "characters (the container engine's rule)"
    )


@pytest.mark.parametrize(
    ("env", "path", "name"),
    [
        ('{clear: {"A B": x}}', "env/clear/A B", "A B"),
        ('{"A\\nB": x}', "env/A\\nB", "A\\nB"),
        ('{secret: ["#A"]}', "env/secret/0", "#A"),
        ('{tags: {t: {clear: {"=": x}}}}', "env/tags/t/clear/=", "="),
    ],
)
def test_env_variable_names(env: str, path: str, name: str) -> None:
    found = message(BASE + SERVERS + f"env: {env}\n")
    assert found.startswith(f"{path}: variable name '{name}'")
    assert found.endswith("(the rule of the engine's env files)")


@pytest.mark.parametrize(
    ("servers", "path"),
    [
        ('["-oProxyCommand=touch /tmp/x"]', "servers/0"),
        ('{web: {hosts: ["ok.example", "root@1.1.1.1"]}}', "servers/web/hosts/1"),
        ('{web: ["1.1.1.1:2222"]}', "servers/web/0"),
        ('{web: [{"a b": tag}]}', "servers/web/0"),
    ],
)
def test_host_names(servers: str, path: str) -> None:
    found = message(BASE + f"servers: {servers}\n")
    assert found.startswith(f"{path}: host ")
    assert found.endswith("(or an IP address); give the user in ssh/user and the port in ssh/port")


def test_ip_addresses_and_host_names_pass() -> None:
    text = BASE + 'servers: ["1.1.1.1", "::1", "[fe80::1]", "app-1.example.com", "my_host"]\n'
    assert parse(text).app_hosts == ("1.1.1.1", "::1", "[fe80::1]", "app-1.example.com", "my_host")


def test_proxy_hosts() -> None:
    assert message(BASE + SERVERS + 'proxy: {host: "ok.example.com, a b.example.com"}\n') == (
        "proxy/host: proxy host 'a b.example.com' is not a DNS name: dot-separated labels of "
        "letters, digits, - and _"
    )
    assert parse(BASE + SERVERS + 'proxy: {hosts: ["*.example.com", "x.example.com"]}\n')


def test_accessory_names() -> None:
    text = BASE + SERVERS + 'accessories:\n  "my db": {image: mysql, host: 1.1.1.1}\n'
    assert message(text) == f"accessories/my db: accessory name 'my db' {ENGINE}"


def test_an_accessory_container_too_long_for_dns() -> None:
    name = "d" * 70
    text = (
        BASE + SERVERS + f"accessories:\n  db: {{image: mysql, host: 1.1.1.1, service: {name}}}\n"
    )
    assert message(text) == (
        f"accessories/db/service: accessory container name '{'d' * 40}…' (70 characters) has a "
        "label of 70 characters; a DNS label holds at most 63 (other containers reach it by this "
        "name)"
    )


def test_an_accessory_host() -> None:
    text = BASE + SERVERS + "accessories:\n  db: {image: mysql, host: 'db host'}\n"
    assert message(text).startswith("accessories/db/host: host 'db host' is not a DNS name")


def test_hook_names() -> None:
    assert message(BASE + SERVERS + "hooks_output: {pre-deploi: quiet}\n") == (
        "hooks_output/pre-deploi: 'pre-deploi' is no hook (hooks: pre-connect, pre-build, "
        "pre-deploy, pre-app-boot, post-app-boot, post-deploy, pre-proxy-reboot, "
        "post-proxy-reboot, docker-setup)"
    )


def write_app(root: Path) -> Path:
    (root / "config").mkdir()
    (root / "config" / "deploy.yml").write_text(BASE + SERVERS)
    return root


@pytest.mark.parametrize("destination", ["web/../x", "a b", "x;touch /tmp/x", ""])
def test_a_destination_is_checked_before_any_file_is_read(tmp_path: Path, destination: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(root=write_app(tmp_path), destination=destination or "..", version="v1")
    shown = repr(destination or "..")
    if destination:
        assert str(caught.value) == f"destination: {shown} {ENGINE}"
    else:
        assert "Configuration file not found" in str(caught.value)


@pytest.mark.parametrize("version", ["v1;x", "-v1", ".v1", "a" * 129, "v 1"])
def test_versions_from_the_flag(tmp_path: Path, version: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(root=write_app(tmp_path), version=version)
    assert str(caught.value).startswith("version: '")
    assert str(caught.value).endswith(
        "is not an image tag: letters, digits, _, . and -, not starting with . or -, at most "
        "128 characters (the registry's rule)"
    )


def test_a_version_from_the_environment(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^version: 'v1 x' is not an image tag"):
        load_config(root=write_app(tmp_path), env={"VERSION": "v1 x"})


def test_a_config_error_is_one_line_whatever_the_value() -> None:
    error = ConfigError("Malformed version 1.0\nLocked by: x", key="a\nb", file="f", line=2)
    assert str(error) == "f:2: a\\nb: Malformed version 1.0\\nLocked by: x"
    assert str(ConfigError("x" * 5000)) == "x" * 1000 + "…"


def test_a_long_unknown_key_is_cut_in_the_message() -> None:
    error = error_of(BASE + SERVERS + f"? {'k' * 5000}\n: 1\n")
    assert error.message == (
        f"unknown key: {'k' * 60}…(5000 characters) (see `dockyard docs configuration`)"
    )

"""Exact renders of the registry commands run on servers and builders."""

from dockyard.commands import registry
from dockyard.engine import DOCKER, PODMAN


def test_login_reads_the_password_from_standard_input() -> None:
    assert registry.login(DOCKER, "registry.example:5000", "deploy").render() == (
        "docker login registry.example:5000 --username deploy --password-stdin"
    )


def test_a_user_name_with_a_quote_or_a_space_is_one_argument() -> None:
    assert registry.login(PODMAN, "registry.example", "ann o'neil").render() == (
        "podman login registry.example --username 'ann o'\"'\"'neil' --password-stdin"
    )


def test_logout() -> None:
    assert registry.logout(DOCKER, "registry.example:5000").render() == (
        "docker logout registry.example:5000"
    )
    assert registry.logout(PODMAN, "registry.example:5000").render() == (
        "podman logout registry.example:5000"
    )


def test_a_pull_prints_the_image_service_label_after_it() -> None:
    assert registry.pull_checked(DOCKER, "registry.example/shop:v1").render() == (
        "docker pull --quiet registry.example/shop:v1 && docker image inspect --format "
        "'service={{index .Config.Labels \"service\"}}' registry.example/shop:v1"
    )


def test_a_pull_from_the_local_registry_docker_trusts_localhost() -> None:
    assert registry.pull_local_checked(DOCKER, "localhost:5555/shop:v1").render() == (
        "docker pull localhost:5555/shop:v1 && docker image inspect --format "
        "'service={{index .Config.Labels \"service\"}}' localhost:5555/shop:v1"
    )


def test_a_pull_from_the_local_registry_podman_is_told_it_is_plain_http() -> None:
    assert registry.pull_local_checked(PODMAN, "localhost:5555/shop:v1").render() == (
        "podman pull --tls-verify=false localhost:5555/shop:v1 && podman image inspect --format "
        "'service={{index .Config.Labels \"service\"}}' localhost:5555/shop:v1"
    )


def test_the_local_registry_listens_on_loopback_only() -> None:
    assert registry.local_registry_config(5555, "/var/lib/registry") == (
        "version: 0.1\n"
        "log: {level: warn, accesslog: {disabled: true}}\n"
        "storage: {filesystem: {rootdirectory: /var/lib/registry}, delete: {enabled: true}}\n"
        'http: {addr: "127.0.0.1:5555"}\n'
    )

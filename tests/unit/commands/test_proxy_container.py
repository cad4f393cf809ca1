"""Exact renders of `proxy start|stop|restart|details|remove` on the proxy container."""

from dockyard.commands import proxy
from dockyard.engine import DOCKER, PODMAN


def test_start_stop_restart() -> None:
    assert proxy.container(DOCKER, "start").render() == "docker start dockyard-proxy"
    assert proxy.container(PODMAN, "restart").render() == "podman restart dockyard-proxy"


def test_the_proxy_container_listed() -> None:
    assert proxy.listing(DOCKER).render() == (
        "docker ps --all --filter 'name=^dockyard-proxy$'"
        " --format '{{.Names}} {{.Image}} {{.Status}}'"
    )


def test_remove_the_container_alone_or_with_its_state() -> None:
    assert proxy.remove_container(PODMAN).render() == "podman rm --force dockyard-proxy"
    assert proxy.remove(DOCKER).render() == (
        'docker rm --force dockyard-proxy && rm -rf "$HOME/.dockyard/proxy"'
    )

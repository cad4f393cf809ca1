"""Exact renders of the commands on the servers themselves."""

from dockyard.commands import server
from dockyard.engine import DOCKER, PODMAN


def test_the_users_words_are_shell_text_as_in_kamal() -> None:
    assert server.shell(["df", "-h", "/ | tail -1"]).render() == "df -h / | tail -1"
    assert server.shell(["uptime && hostname"]).render() == "uptime && hostname"


def test_the_engine_probe_and_its_install_with_apt_as_root() -> None:
    assert server.engine_present(DOCKER).render() == "command -v docker >/dev/null"
    assert server.install_engine(DOCKER).render() == (
        '[ "$(id -u)" = 0 ] || exit 90; command -v apt-get >/dev/null || exit 91; '
        "DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io"
    )
    assert server.install_engine(PODMAN).render() == (
        '[ "$(id -u)" = 0 ] || exit 90; command -v apt-get >/dev/null || exit 91; '
        "DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman"
    )

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


def test_podmans_start_at_boot_line_set_in_the_crontab_from_the_state_dir() -> None:
    assert server.start_at_boot(PODMAN).render() == (
        "mkdir -p .dockyard && cd .dockyard && { if ! command -v crontab > /dev/null 2>&1; then "
        'echo "no-restart-at-boot: the host has no crontab command"; elif ! { crontab -l > '
        "crontab.old 2> crontab.err || grep -q '^no crontab for' crontab.err; }; then echo "
        '"no-restart-at-boot: crontab -l: $(head -n 1 crontab.err)"; else { grep -v -F '
        "'# dockyard-start-at-boot' crontab.old; printf '%s\\n' '@reboot PATH=/usr/local/sbin:"
        "/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; ids=$(podman ps --all --quiet --filter "
        "status=created --filter restart-policy=unless-stopped --filter restart-policy=always); "
        '[ -z "$ids" ] || podman start $ids > /dev/null # dockyard-start-at-boot\'; } > '
        "crontab.new; cmp -s crontab.old crontab.new || crontab crontab.new 2> crontab.err || "
        'echo "no-restart-at-boot: crontab: $(head -n 1 crontab.err)"; fi; rm -f crontab.old '
        "crontab.new crontab.err; }"
    )

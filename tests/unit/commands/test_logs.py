"""Exact renders of the logs commands: `app logs`, `accessory logs`, `proxy logs`."""

from dockyard.commands import accessory, proxy
from dockyard.commands.app import label_filters
from dockyard.commands.logs import (
    log_flags,
    merged,
    newest_logs,
    newest_present_logs,
    when_present,
)
from dockyard.engine import DOCKER, PODMAN


def test_flags_come_in_a_fixed_order_and_only_when_asked() -> None:
    assert log_flags(100, None) == ["--tail", "100"]
    assert log_flags(None, "10m", timestamps=True, follow=True) == [
        "--since", "10m", "--timestamps", "--follow",
    ]  # fmt: skip


def test_the_newest_container_of_a_role() -> None:
    filters = label_filters("demo", "web", "staging")
    assert newest_logs(DOCKER, filters, lines=100).render() == (
        "docker logs --tail 100 $(docker ps --latest --quiet --filter label=service=demo"
        " --filter label=role=web --filter label=destination=staging)"
    )


def test_the_newest_container_followed_since_a_time_with_podman() -> None:
    filters = label_filters("demo", "web")
    command = newest_logs(PODMAN, filters, lines=10, since="2026-11-22 10:00", follow=True)
    assert command.render() == (
        "podman logs --tail 10 --since '2026-11-22 10:00' --follow"
        " $(podman ps --latest --quiet --filter label=service=demo --filter label=role=web)"
    )


def test_merged_joins_stderr_and_greps_a_quoted_pattern() -> None:
    listing = newest_logs(DOCKER, label_filters("demo", "web"), lines=5, timestamps=True)
    assert merged(listing, "GET /up; it's").render() == (
        "docker logs --tail 5 --timestamps $(docker ps --latest --quiet"
        " --filter label=service=demo --filter label=role=web) 2>&1"
        " | grep --line-buffered -e 'GET /up; it'\"'\"'s'"
    )


def test_an_accessorys_logs_without_and_with_follow() -> None:
    assert merged(accessory.logs(DOCKER, "shop-db", 20, "10m", True)).render() == (
        "docker logs --tail 20 --since 10m --timestamps shop-db 2>&1"
    )
    followed = accessory.logs(PODMAN, "shop-db", 100, None, False, follow=True)
    assert merged(followed, "ERROR").render() == (
        "podman logs --tail 100 --follow shop-db 2>&1 | grep --line-buffered -e ERROR"
    )


def test_the_proxys_logs() -> None:
    assert proxy.logs(PODMAN, 50, None, False).render() == "podman logs --tail 50 dockyard-proxy"
    assert merged(proxy.logs(DOCKER, 100, "1h", True), "status").render() == (
        "docker logs --tail 100 --since 1h --timestamps dockyard-proxy 2>&1"
        " | grep --line-buffered -e status"
    )


def test_a_read_that_tells_no_container_from_no_line_exits_3_without_one() -> None:
    read = merged(accessory.logs(DOCKER, "shop-db", 20, None, False), "ERROR")
    assert when_present(DOCKER, "shop-db", read).render() == (
        "docker container inspect shop-db >/dev/null 2>&1 || exit 3;"
        " docker logs --tail 20 shop-db 2>&1 | grep --line-buffered -e ERROR"
    )
    assert when_present(PODMAN, "dockyard-proxy", proxy.logs(PODMAN, 5, None, False)).render() == (
        "podman container inspect dockyard-proxy >/dev/null 2>&1 || exit 3;"
        " podman logs --tail 5 dockyard-proxy"
    )


def test_the_newest_container_of_a_role_or_exit_3_when_it_has_none() -> None:
    filters = label_filters("demo", "web")
    assert newest_present_logs(DOCKER, filters, lines=20, since="5m", grep="GET").render() == (
        "id=$(docker ps --latest --quiet --filter label=service=demo --filter label=role=web);"
        ' [ -n "$id" ] || exit 3; docker logs --tail 20 --since 5m "$id" 2>&1'
        " | grep --line-buffered -e GET"
    )
    assert newest_present_logs(PODMAN, filters, lines=None, timestamps=True).render() == (
        "id=$(podman ps --latest --quiet --filter label=service=demo --filter label=role=web);"
        ' [ -n "$id" ] || exit 3; podman logs --timestamps "$id" 2>&1'
    )

"""Exact renders of the logs commands: `app logs`, `accessory logs`, `proxy logs`."""

from dockyard.commands import accessory, proxy
from dockyard.commands.app import label_filters
from dockyard.commands.logs import (
    LogQuery,
    container_logs,
    current_logs,
    default_lines,
    log_flags,
    merged,
    when_present,
)
from dockyard.engine import DOCKER, PODMAN


def test_flags_come_in_a_fixed_order_and_only_when_asked() -> None:
    assert log_flags(100, None) == ["--tail", "100"]
    assert log_flags(None, "10m", timestamps=True, follow=True) == [
        "--since", "10m", "--timestamps", "--follow",
    ]  # fmt: skip


def test_kamals_default_line_counts() -> None:
    assert default_lines(None, since=None, grep=None, follow=False) == 100
    assert default_lines(None, since=None, grep=None, follow=True) == 10
    assert default_lines(None, since="10m", grep=None, follow=False) is None
    assert default_lines(None, since=None, grep="GET", follow=True) is None
    assert default_lines(7, since="10m", grep="GET", follow=False) == 7


def test_a_roles_current_container_with_timestamps_by_default() -> None:
    filters = label_filters("demo", "web", "staging")
    assert current_logs(DOCKER, filters, LogQuery(lines=100)).render() == (
        "id=$(docker ps --latest --quiet --filter label=service=demo --filter label=role=web"
        " --filter label=destination=staging --filter status=running --filter status=restarting)"
        " && { [ -n \"$id\" ] || { echo 'no running container of the role here' >&2; exit 3; }; }"
        ' && docker logs --tail 100 --timestamps "$id" 2>&1'
    )


def test_a_roles_current_container_followed_since_a_time_with_podman() -> None:
    query = LogQuery(lines=10, since="2026-11-22 10:00", timestamps=False, follow=True)
    command = current_logs(PODMAN, label_filters("demo", "web"), query)
    assert command.render() == (
        "id=$(podman ps --latest --quiet --filter label=service=demo --filter label=role=web"
        " --filter status=running)"
        " && { [ -n \"$id\" ] || { echo 'no running container of the role here' >&2; exit 3; }; }"
        " && podman logs --tail 10 --since '2026-11-22 10:00' --follow \"$id\" 2>&1"
    )


def test_a_grep_with_its_options_where_no_match_is_no_failure() -> None:
    query = LogQuery(grep="GET /up; it's", grep_options=("-i", "-C", "2"))
    assert current_logs(DOCKER, label_filters("demo", "worker"), query).render() == (
        "id=$(docker ps --latest --quiet --filter label=service=demo --filter label=role=worker"
        " --filter status=running --filter status=restarting)"
        " && { [ -n \"$id\" ] || { echo 'no running container of the role here' >&2; exit 3; }; }"
        ' && docker logs --timestamps "$id" 2>&1'
        " | { grep --line-buffered -i -C 2 -e 'GET /up; it'\"'\"'s' || [ $? -eq 1 ]; }"
    )


def test_one_container_by_id() -> None:
    query = LogQuery(lines=5, timestamps=False, grep="boot")
    assert container_logs(PODMAN, "4f2a9c", query).render() == (
        "id=$(podman container inspect --format '{{.Id}}' 4f2a9c 2>/dev/null || true)"
        " && { [ -n \"$id\" ] || { echo 'no container 4f2a9c here' >&2; exit 3; }; }"
        ' && podman logs --tail 5 "$id" 2>&1 | { grep --line-buffered -e boot || [ $? -eq 1 ]; }'
    )


def test_merged_joins_stderr_and_greps_with_options() -> None:
    assert merged(accessory.logs(DOCKER, "shop-db", 5, None, True), "it's", ["-v"]).render() == (
        "docker logs --tail 5 --timestamps shop-db 2>&1 | grep --line-buffered -v -e 'it'\"'\"'s'"
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

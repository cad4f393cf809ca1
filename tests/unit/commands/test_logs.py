"""Exact renders of the logs commands: `app logs`, `accessory logs`, `proxy logs`."""

from dockyard.commands.app import label_filters
from dockyard.commands.logs import LogQuery, container_logs, current_logs, service_logs
from dockyard.engine import DOCKER, PODMAN


def test_flags_come_in_a_fixed_order_and_only_when_asked() -> None:
    assert LogQuery(lines=100, timestamps=False).flags() == ["--tail", "100"]
    assert LogQuery(since="10m", follow=True).flags() == [
        "--since", "10m", "--timestamps", "--follow",
    ]  # fmt: skip


def test_kamals_default_line_counts() -> None:
    assert LogQuery.kamal() == LogQuery(lines=100)
    assert LogQuery.kamal(follow=True) == LogQuery(lines=10, follow=True)
    assert LogQuery.kamal(since="10m").lines is None
    assert LogQuery.kamal(grep="GET", follow=True).lines is None
    assert LogQuery.kamal(lines=7, since="10m", grep="GET").lines == 7
    assert LogQuery.kamal(timestamps=False, grep_options=("-i",)) == LogQuery(
        lines=100, timestamps=False, grep_options=("-i",)
    )


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


def test_an_accessory_or_the_proxy_by_name_followed() -> None:
    query = LogQuery.kamal(follow=True, grep="ERROR")
    assert container_logs(DOCKER, "shop-db", query).render() == (
        "id=$(docker container inspect --format '{{.Id}}' shop-db 2>/dev/null || true)"
        " && { [ -n \"$id\" ] || { echo 'no container shop-db here' >&2; exit 3; }; }"
        ' && docker logs --timestamps --follow "$id" 2>&1'
        " | { grep --line-buffered -e ERROR || [ $? -eq 1 ]; }"
    )
    assert container_logs(PODMAN, "dockyard-proxy", LogQuery(lines=50)).render() == (
        "id=$(podman container inspect --format '{{.Id}}' dockyard-proxy 2>/dev/null || true)"
        " && { [ -n \"$id\" ] || { echo 'no container dockyard-proxy here' >&2; exit 3; }; }"
        ' && podman logs --tail 50 --timestamps "$id" 2>&1'
    )


def test_a_swarm_services_logs_every_tasks() -> None:
    assert service_logs("shop_web", LogQuery.kamal(lines=20, grep="GET")).render() == (
        "id=$(docker service inspect --format '{{.ID}}' shop_web 2>/dev/null || true) && "
        "{ [ -n \"$id\" ] || { echo 'no service shop_web in the swarm' >&2; exit 3; }; } && "
        'docker service logs --tail 20 --timestamps "$id" 2>&1 | '
        "{ grep --line-buffered -e GET || [ $? -eq 1 ]; }"
    )

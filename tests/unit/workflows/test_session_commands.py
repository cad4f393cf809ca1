"""Entry points of the workflow layer on the scripted transport: what the CLI calls gets the
right hosts, sends the exact commands, and returns typed results; the session opens and closes
the transport and runs pre-connect once."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from dockyard.commands import lock as lock_commands
from dockyard.commands import prune as prune_commands
from dockyard.commands.caddy_config import AppRoute
from dockyard.commands.logs import LogQuery
from dockyard.config import parse_config
from dockyard.engine import DOCKER
from dockyard.errors import HostsFailed, LockError
from dockyard.plan.from_config import Selection
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import manage as accessories
from dockyard.workflows.app import execute, manage, overview, prune
from dockyard.workflows.app import logs as app_logs
from dockyard.workflows.detached import Detached
from dockyard.workflows.proxy import manage as proxy
from dockyard.workflows.servers import execute as server_exec
from dockyard.workflows.session import Request, Session

CONFIG = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
ssh: {user: deploy, port: 2222}
servers:
  web: [10.0.0.1, 10.0.0.2]
  worker: {hosts: [10.0.0.3], proxy: false}
proxy: {host: demo.test, app_port: 3000}
accessories:
  db: {image: postgres:15, host: 10.0.0.9, env: {clear: {POSTGRES_USER: shop}}}
"""


def session(fake: FakeTransport, tmp_path: Path, **request: object) -> Session:
    config = parse_config([("config/deploy.yml", CONFIG)], version="unknown")

    def connect(options: object) -> FakeTransport:
        return fake

    return Session(config, Request(**request), root=tmp_path, connect=connect)  # type: ignore[arg-type]


def test_app_logs_run_on_the_selected_hosts_with_one_command(tmp_path: Path) -> None:
    fake = FakeTransport({"docker logs": Reply(stdout="a\nb\n")})
    found = app_logs.logs(
        session(fake, tmp_path, selection=Selection(hosts=("10.0.0.2",))),
        LogQuery.kamal(lines=20, since="5m", grep="GET"),
    )
    assert found == {"10.0.0.2": {"web": ["a", "b"]}}
    assert fake.commands_on("10.0.0.2") == [
        "id=$(docker ps --latest --quiet --filter label=service=demo --filter label=role=web"
        " --filter status=running --filter status=restarting)"
        " && { [ -n \"$id\" ] || { echo 'no running container of the role here' >&2; exit 3; }; }"
        ' && docker logs --tail 20 --since 5m --timestamps "$id" 2>&1'
        " | { grep --line-buffered -e GET || [ $? -eq 1 ]; }"
    ]
    assert fake.closed


def test_following_logs_is_the_system_ssh_on_the_first_host(tmp_path: Path) -> None:
    fake = FakeTransport()
    selected = session(fake, tmp_path, selection=Selection(roles=("worker",)))
    argv = app_logs.follow(selected, LogQuery.kamal(follow=True, timestamps=False))
    assert argv == [
        "ssh", "-T", "-p", "2222", "-l", "deploy", "10.0.0.3",
        "id=$(docker ps --latest --quiet --filter label=service=demo --filter label=role=worker"
        " --filter status=running --filter status=restarting)"
        ' && { [ -n "$id" ] || { echo \'no running container of the role here\' >&2; exit 3; }; }'
        ' && docker logs --tail 10 --follow "$id" 2>&1',
    ]  # fmt: skip
    assert fake.calls == []  # nothing ran here: ssh runs it


def test_details_lists_the_proxy_the_app_and_the_accessories_on_every_host(
    tmp_path: Path,
) -> None:
    listing = (
        "/dockyard-proxy\tcaddy\trunning\t0\t\t\t\t\t\t\n"
        "/demo-web-v1\tdemo:v1\trunning\t0\t\tdemo\tweb\t\t\t\n\0"
    )
    fake = FakeTransport({"docker inspect": Reply(stdout=listing)})
    found = overview.details(session(fake, tmp_path))
    hosts = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"]
    assert {h: [(r.kind, r.name, r.state) for r in rows] for h, rows in found.items()} == {
        host: [("proxy", "dockyard-proxy", "running"), ("app", "demo-web-v1", "running")]
        for host in hosts
    }
    assert fake.commands_on("10.0.0.9")[0].startswith("ids=$(docker ps --all --quiet) && ")


def test_proxy_details_gives_each_route_and_where_it_sends(tmp_path: Path) -> None:
    route = AppRoute("demo-web", port=3000, hosts=("demo.test",))
    home, config, running, live = "/home/deploy", "", "true", "demo-web\n"
    state = "\0".join([home, config, running, live, route.to_json()]) + "\0"
    fake = FakeTransport({"ps --all": Reply(stdout="dockyard-proxy caddy Up\n"),
                          "printf": Reply(stdout=state)})  # fmt: skip
    found = proxy.details(session(fake, tmp_path, selection=Selection(hosts=("10.0.0.1",))))
    details = found["10.0.0.1"]
    assert details.container == ["dockyard-proxy caddy Up"]
    assert [(r.name, r.hosts, r.upstream, r.maintenance) for r in details.routes] == [
        ("demo-web", ("demo.test",), route.slot_upstream("b"), False)
    ]


def test_accessory_exec_in_a_new_container_names_each_host(tmp_path: Path) -> None:
    fake = FakeTransport({"docker run": Reply(stdout="ok\n")})
    found = accessories.run_command(session(fake, tmp_path), "db", ["pg_isready -h db"])
    assert found == {"10.0.0.9": ["ok"]}
    assert fake.commands_on("10.0.0.9") == [
        "docker run --rm --network kamal --env POSTGRES_USER=shop --env KAMAL_HOST=10.0.0.9"
        ' --env-file "$HOME/.kamal/apps/demo/env/accessories/db.env" postgres:15'
        " pg_isready -h db"
    ]


def test_server_exec_and_its_terminal(tmp_path: Path) -> None:
    fake = FakeTransport({"uptime": Reply(1, stderr="no\n")})
    found = server_exec.run_everywhere(session(fake, tmp_path), ["uptime"])
    assert list(found) == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.9"]
    assert {r.exit_status for r in found.values()} == {1}
    argv = server_exec.interactive(session(FakeTransport(), tmp_path), ["top", "-d", "1"])
    assert argv == ["ssh", "-t", "-p", "2222", "-l", "deploy", "10.0.0.1", "top -d 1"]


def test_app_exec_refuses_a_role_without_selected_hosts(tmp_path: Path) -> None:
    selected = session(FakeTransport(), tmp_path, selection=Selection(("10.0.0.3",), ("web",)))
    with pytest.raises(Exception, match="no host of role 'web' matches --hosts"):
        execute.run_everywhere(selected, ["true"])


def test_app_exec_detach_leaves_a_named_container_on_each_host_of_the_role(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execute, "token", lambda: "t0k")
    fake = FakeTransport({"docker ps": Reply(stdout="demo-web-v3\trunning\t2024\tid\n"),
                          "docker run": Reply(stdout="c0ffee\n")})  # fmt: skip
    started = execute.start_detached(session(fake, tmp_path), ["bin/jobs"])
    assert started == [Detached("10.0.0.1", "demo-web-exec-t0k", "c0ffee", "docker"),
                       Detached("10.0.0.2", "demo-web-exec-t0k", "c0ffee", "docker")]  # fmt: skip
    assert fake.commands_on("10.0.0.1")[-1].startswith(
        "docker run --name demo-web-exec-t0k --network kamal --detach --env KAMAL_CONTAINER_NAME="
    )
    refused = FakeTransport({"docker ps": Reply(stdout="demo-web-v3\trunning\t2024\tid\n"),
                             "docker run": Reply(125, stderr="no such image\n")})  # fmt: skip
    with pytest.raises(HostsFailed, match=r"10.0.0.1: starting demo-web-exec-t0k failed: "):
        execute.start_detached(session(refused, tmp_path), ["bin/jobs"])


def test_pre_connect_runs_once_however_many_runs(tmp_path: Path) -> None:
    hooks = tmp_path / ".kamal" / "hooks"
    hooks.mkdir(parents=True)
    log = tmp_path / "ran"
    hook = hooks / "pre-connect"
    hook.write_text(f'#!/bin/sh\necho "$KAMAL_COMMAND $KAMAL_SUBCOMMAND" >> {log}\n')
    hook.chmod(0o755)
    images = FakeTransport({"docker images": Reply(stdout="demo:v1 12MB\n")})
    one = session(images, tmp_path, command=("app", "images"))
    manage.images(one)
    manage.images(one)
    assert log.read_text() == "app images\n"


def test_a_json_able_result_for_app_versions(tmp_path: Path) -> None:
    running = "demo-web-v2\trunning\t2026-12-01 10:00:00\tabc\n"
    fake = FakeTransport({"docker ps": Reply(stdout=running)})
    found = manage.versions(session(fake, tmp_path, selection=Selection(hosts=("10.0.0.1",))))
    as_data = {
        h: {r: dataclasses.asdict(v) for r, v in roles.items()} for h, roles in found.items()
    }
    assert json.dumps(as_data) == (
        '{"10.0.0.1": {"web": {"versions": ["v2"], "current": "v2", "proxied": true}}}'
    )


def test_prune_runs_the_deploys_builders_on_every_app_host(tmp_path: Path) -> None:
    said = "--- dockyard: prune ---\nremoved container 0123456789ab\nremoved r/demo:v1\n"
    fake = FakeTransport({"--- dockyard: prune ---": Reply(stdout=said)})
    removed = prune.prune(session(fake, tmp_path), containers=True, images=True)
    assert removed == {
        host: ["removed container 0123456789ab", "removed r/demo:v1"]
        for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    }
    both = prune_commands.reported(
        prune_commands.containers(DOCKER, "demo", None, 5), prune_commands.images(DOCKER, "demo")
    )
    assert fake.commands_on("10.0.0.3") == [both.render()]
    fake = FakeTransport().on("10.0.0.1", 'test -d "$HOME/.dockyard/lock-', Reply(1))
    prune.prune(session(fake, tmp_path), containers=False, images=True)
    images = prune_commands.reported(prune_commands.images(DOCKER, "demo"))
    assert fake.commands_on("10.0.0.2") == [images.render()]
    # under the deploy lock, on the primary host (as Kamal's prune)
    acquire, pruned, release = fake.commands_on("10.0.0.1")
    assert 'mkdir "$HOME/.dockyard/lock-demo" && { echo ' in acquire
    assert pruned == images.render()
    assert release == lock_commands.release("demo", None).render()


def test_prune_stops_at_a_deploy_holding_the_lock(tmp_path: Path) -> None:
    fake = FakeTransport({'mkdir "$HOME/.dockyard/lock-': Reply(1, "", "File exists")})
    with pytest.raises(LockError, match=re.escape("the deploy lock on 10.0.0.1 is held: ")):
        prune.prune(session(fake, tmp_path), containers=True, images=True)
    assert not any("prune" in c.text for c in fake.calls)


def test_a_prune_that_fails_on_a_host_names_it_and_the_engines_words(tmp_path: Path) -> None:
    said = (
        "--- dockyard: prune ---\nremoved r/demo:v1\n"
        "Error response from daemon: conflict: r/demo:v2 is used\n"
        "--- dockyard: prune failed, exit 1\n"
    )
    fake = FakeTransport().on("10.0.0.2", "--- dockyard: prune ---", Reply(stdout=said))
    with pytest.raises(HostsFailed) as failed:
        prune.prune(session(fake, tmp_path), containers=True, images=True)
    assert str(failed.value) == (
        "failed on 1 host(s): 10.0.0.2: pruning failed: exited 1: Error response from daemon: "
        "conflict: r/demo:v2 is used; 1 removed before; run the prune again once that is fixed"
    )
    fake = FakeTransport().on("10.0.0.3", "--- dockyard: prune ---", Reply(2, "", "no engine"))
    with pytest.raises(HostsFailed) as failed:
        prune.prune(session(fake, tmp_path), containers=True, images=True)
    assert str(failed.value) == (
        "failed on 1 host(s): 10.0.0.3: pruning failed: exited 2: no engine; "
        "run the prune again once that is fixed"
    )


def test_accessory_and_proxy_logs_count_and_stamp_lines_as_kamal(tmp_path: Path) -> None:
    fake = FakeTransport({"logs": Reply(stdout="ready\n")})
    assert accessories.logs(session(fake, tmp_path), "db", LogQuery.kamal()) == {
        "10.0.0.9": ["ready"]
    }
    query = LogQuery.kamal(since="1h", grep="FATAL", grep_options=("-i",), timestamps=False)
    accessories.logs(session(fake, tmp_path), "db", query)
    db = (
        "id=$(docker container inspect --format '{{.Id}}' demo-db 2>/dev/null || true)"
        " && { [ -n \"$id\" ] || { echo 'no container demo-db here' >&2; exit 3; }; }"
    )
    assert fake.commands_on("10.0.0.9") == [
        f'{db} && docker logs --tail 100 --timestamps "$id" 2>&1',
        f'{db} && docker logs --since 1h "$id" 2>&1'
        " | { grep --line-buffered -i -e FATAL || [ $? -eq 1 ]; }",
    ]
    fake = FakeTransport()
    selected = session(fake, tmp_path, selection=Selection(hosts=("10.0.0.1",)))
    assert proxy.logs(selected, LogQuery.kamal(grep="GET")) == {"10.0.0.1": []}
    proxy_db = db.replace("demo-db", "dockyard-proxy")
    assert fake.commands_on("10.0.0.1") == [
        f'{proxy_db} && docker logs --timestamps "$id" 2>&1'
        " | { grep --line-buffered -e GET || [ $? -eq 1 ]; }"
    ]
    argv = accessories.follow_logs(session(FakeTransport(), tmp_path), "db",
                                   LogQuery.kamal(follow=True))  # fmt: skip
    assert argv[-2:] == [
        "10.0.0.9",
        f'{db} && docker logs --tail 10 --timestamps --follow "$id" 2>&1',
    ]
    argv = proxy.follow_logs(session(FakeTransport(), tmp_path), LogQuery.kamal(follow=True))
    assert argv[-2:] == [
        "10.0.0.1", f'{proxy_db} && docker logs --tail 10 --timestamps --follow "$id" 2>&1'
    ]  # fmt: skip

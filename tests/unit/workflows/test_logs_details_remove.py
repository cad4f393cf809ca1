"""`app logs`, `details` and `remove` as the CLI calls them, on scripted servers: the exact
steps per host and what they return, then every remote step failing in turn (the command ends
within the bound with one line naming the host and the cause, unless the step's failure is an
answer the command reports).

The app: web on .1 and .2, worker on .2 only (.1 has no worker), an accessory on .1 and one on
a host of its own (.3), from a registry of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.commands.logs import LogQuery
from dockyard.config import parse_config
from dockyard.errors import DockyardError, UsageError
from dockyard.plan.from_config import Selection
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import manage as accessories
from dockyard.workflows.app import logs as app_logs
from dockyard.workflows.app import overview
from dockyard.workflows.app.remove import remove_app, remove_everything
from dockyard.workflows.proxy import manage as proxy
from dockyard.workflows.session import Request, Session
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import DEFAULT_TIMEOUT, Fleet, fast_waits, plan_of, transcript
from tests.unit.workflows.peers import FakeApps
from tests.unit.workflows.test_entry_point_failures import (
    LOCK_TAKEN_AGAIN,
    one_line_naming_host_and_cause,
)

APP = """
service: demo
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers:
  web: [10.0.0.1, 10.0.0.2]
  worker: {hosts: [10.0.0.2], cmd: bin/work}
proxy: {host: demo.test, app_port: 3000, healthcheck: {path: /up, timeout: 1}}
env: {secret: [SECRET_KEY]}
readiness_delay: 0
accessories:
  cache: {image: redis:7, host: 10.0.0.1, directories: ["data:/data"]}
  search:
    image: opensearch:2
    host: 10.0.0.3
    registry: {server: search.lab:5000, username: s, password: pw}
"""
EXPECTED = Path(__file__).parent / "expected"
WEB = (
    "id=$(docker ps --latest --quiet --filter label=service=demo --filter label=role=web"
    " --filter status=running --filter status=restarting)"
    " && { [ -n \"$id\" ] || { echo 'no running container of the role here' >&2; exit 3; }; }"
    ' && docker logs --tail 100 --timestamps "$id" 2>&1'
)
WORKER = WEB.replace("role=web", "role=worker")


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


def session_on(
    fake: FakeTransport, root: Path, selection: Selection | None = None, app: str = APP
) -> Session:
    config = parse_config([("config/deploy.yml", app)], version="v2")

    def connect(options: object) -> FakeTransport:
        return fake

    request = Request(selection=selection or Selection())
    return Session(config, request, root=root, connect=connect)  # type: ignore[arg-type]


def run_in_thread(
    entry: Callable[[Session], object], root: Path
) -> Callable[[FakeTransport], Awaitable[object]]:
    """The entry point runs its own event loop (as under the CLI): here, in a thread."""

    async def run(fake: FakeTransport) -> object:
        return await asyncio.to_thread(entry, session_on(fake, root))

    return run


# --- app logs ---------------------------------------------------------------------------------


def test_logs_of_each_role_on_each_of_its_hosts_and_none_where_nothing_runs(
    tmp_path: Path,
) -> None:
    fake = FakeTransport({"role=web": Reply(stdout="t1 GET /\nt2 GET /up\n")})
    fake.on("10.0.0.2", "role=worker", Reply(3, "", "no running container of the role here\n"))
    found = app_logs.logs(session_on(fake, tmp_path), LogQuery.kamal())
    assert found == {
        "10.0.0.1": {"web": ["t1 GET /", "t2 GET /up"]},  # no worker there: nothing asked
        "10.0.0.2": {"web": ["t1 GET /", "t2 GET /up"], "worker": None},
    }
    assert fake.commands_on("10.0.0.1") == [WEB]
    assert fake.commands_on("10.0.0.2") == [WEB, WORKER]
    assert fake.commands_on("10.0.0.3") == []  # an accessory's host


def test_logs_with_kamals_flags_narrowed_to_a_role(tmp_path: Path) -> None:
    fake = FakeTransport()
    query = LogQuery.kamal(since="10m", timestamps=False, grep="tick", grep_options=("-i",))
    found = app_logs.logs(session_on(fake, tmp_path, Selection(roles=("worker",))), query)
    assert found == {"10.0.0.2": {"worker": []}}
    assert fake.commands_on("10.0.0.1") == []
    assert fake.commands_on("10.0.0.2") == [
        WORKER.replace("--tail 100 --timestamps", "--since 10m")
        + " | { grep --line-buffered -i -e tick || [ $? -eq 1 ]; }"
    ]


def test_logs_of_one_container_on_each_selected_host(tmp_path: Path) -> None:
    fake = FakeTransport({"inspect": Reply(stdout="booted\n")})
    fake.on("10.0.0.1", "inspect", Reply(3, "", "no container 4f2a here\n"))
    found = app_logs.logs(session_on(fake, tmp_path), LogQuery.kamal(lines=5), container="4f2a")
    assert found == {"10.0.0.1": {"4f2a": None}, "10.0.0.2": {"4f2a": ["booted"]}}
    assert fake.commands_on("10.0.0.2") == [
        "id=$(docker container inspect --format '{{.Id}}' 4f2a 2>/dev/null || true)"
        " && { [ -n \"$id\" ] || { echo 'no container 4f2a here' >&2; exit 3; }; }"
        ' && docker logs --tail 5 --timestamps "$id" 2>&1'
    ]


def test_a_failing_logs_command_is_one_line_with_the_engines_own_words(tmp_path: Path) -> None:
    said = 'invalid value for "since": failed to parse value as time or duration: "soon"\n'
    fake = FakeTransport({"role=web": Reply(1, stdout=said)})
    with pytest.raises(DockyardError) as failed:
        app_logs.logs(session_on(fake, tmp_path, Selection(hosts=("10.0.0.1",))),
                      LogQuery.kamal(since="soon"))  # fmt: skip
    line = str(failed.value)
    assert "\n" not in line and "10.0.0.1: " in line
    assert line.endswith('exited 1: invalid value for "since": failed to parse value as time or '
                         'duration: "soon"')  # fmt: skip


def test_no_selected_role_on_the_selected_hosts_says_so(tmp_path: Path) -> None:
    selection = Selection(hosts=("10.0.0.1",), roles=("worker",))
    with pytest.raises(UsageError, match=r"no host of the app matches --hosts 10\.0\.0\.1 --roles"):
        app_logs.logs(session_on(FakeTransport(), tmp_path, selection), LogQuery.kamal())
    primary = Selection(roles=("worker",), primary=True)  # the primary host has no worker
    with pytest.raises(UsageError, match="no selected role runs on the selected hosts"):
        app_logs.logs(session_on(FakeTransport(), tmp_path, primary), LogQuery.kamal())


def test_follow_is_the_primary_role_on_the_primary_host_unless_narrowed(tmp_path: Path) -> None:
    query = LogQuery.kamal(follow=True)
    assert query.lines == 10  # Kamal's default when following
    argv = app_logs.follow(session_on(FakeTransport(), tmp_path), query)
    assert argv[:-1] == ["ssh", "-T", "-p", "22", "-l", "root", "10.0.0.1"]
    assert argv[-1] == WEB.replace("--tail 100 --timestamps", "--tail 10 --timestamps --follow")
    on_worker = app_logs.follow(session_on(FakeTransport(), tmp_path, Selection(roles=("worker",))),
                                query)  # fmt: skip
    assert on_worker[-2] == "10.0.0.2" and "label=role=worker" in on_worker[-1]
    second = app_logs.follow(session_on(FakeTransport(), tmp_path, Selection(("10.0.0.2",))),
                             query)  # fmt: skip
    assert second[-2] == "10.0.0.2" and "label=role=web" in second[-1]


def test_following_an_accessory_on_none_of_its_hosts_is_a_usage_error(tmp_path: Path) -> None:
    elsewhere = session_on(FakeTransport(), tmp_path, Selection(("10.0.0.2",)))
    query = LogQuery.kamal(follow=True)
    with pytest.raises(UsageError, match=r"^accessory cache runs on 10\.0\.0\.1, none of the sel"):
        accessories.follow_logs(elsewhere, "cache", query)
    with pytest.raises(UsageError, match="select one of its hosts, or leave out --hosts"):
        accessories.interactive(elsewhere, "cache", ["sh"])
    argv = accessories.follow_logs(session_on(FakeTransport(), tmp_path), "cache", query)
    assert argv[-2] == "10.0.0.1" and "--follow" in argv[-1]


def test_proxy_logs_read_the_proxy_hosts_only(tmp_path: Path) -> None:
    # Kamal's `proxy logs` runs on the proxy's hosts: here web's, not the worker's own host
    app = APP.replace("web: [10.0.0.1, 10.0.0.2]", "web: [10.0.0.1]")
    fake = FakeTransport({"docker logs": Reply(stdout="caddy started\n")})
    found = proxy.logs(session_on(fake, tmp_path, app=app), LogQuery.kamal())
    assert found == {"10.0.0.1": ["caddy started"]} and fake.commands_on("10.0.0.2") == []
    query = LogQuery.kamal(follow=True)
    assert proxy.follow_logs(session_on(fake, tmp_path, app=app), query)[-2] == "10.0.0.1"
    worker_host = session_on(fake, tmp_path, Selection(("10.0.0.2",)), app=app)
    with pytest.raises(UsageError, match=r"^no proxy host matches --hosts 10\.0\.0\.2; the prox"):
        proxy.follow_logs(worker_host, query)


# --- details ----------------------------------------------------------------------------------

KAMAL = '{{with index .NetworkSettings.Networks "kamal"}}'


def inspected(*lines: str, live_b: str = "") -> Reply:
    return Reply(stdout="".join(f"{line}\n" for line in lines) + "\0" + live_b)


LISTING_1 = inspected(
    "/dockyard-proxy\tregistry.lab:5000/caddy:2.11\trunning\t0\t\t\t\t\t172.18.0.2\tabc ",
    "/demo-web-v2\tregistry.lab:5000/demo:v2\trunning\t0\t\tdemo\tweb\t\t172.18.0.4\t"
    "demo-web--b 4f2a ",
    "/demo-web-v1\tregistry.lab:5000/demo:v1\texited\t137\t\tdemo\tweb\t\t\t",
    "/demo-cache\tredis:7\trunning\t0\thealthy\tdemo-cache\t\t\t172.18.0.5\t",
    "/other-web-v9\tother:v9\trunning\t0\t\tother\tweb\t\t172.18.0.6\tother-web--a ",
    live_b="demo-web\n",
)


def test_details_shows_proxy_app_and_accessories_with_slot_version_and_health(
    tmp_path: Path,
) -> None:
    apps = FakeApps()
    fake = FakeTransport({"ps --all --quiet": LISTING_1}, open_tcp=apps.open)
    found = overview.details(session_on(fake, tmp_path, Selection(hosts=("10.0.0.1",))))
    assert [
        (r.kind, r.name, r.state, r.role, r.version, r.slot, r.live, r.health)
        for r in found["10.0.0.1"]
    ] == [
        ("proxy", "dockyard-proxy", "running", None, None, None, None, None),
        ("app", "demo-web-v2", "running", "web", "v2", "b", True, 'healthy (/up: 200 OK: "ok")'),
        ("app", "demo-web-v1", "exited (137)", "web", "v1", None, None, None),
        ("accessory", "demo-cache", "running", "cache", None, None, None, "healthy"),
    ]
    assert [(p.host, p.address) for p in apps.healthy] == [("10.0.0.1", "172.18.0.4")]
    assert len(fake.commands_on("10.0.0.1")) == 1  # one round trip, then the probe
    assert fake.commands_on("10.0.0.1")[0].startswith(
        'ids=$(docker ps --all --quiet) && { [ -z "$ids" ] || '
        "{ if ! err=$({ docker inspect --format"
    )


def test_details_narrowed_to_a_role(tmp_path: Path) -> None:
    fake = FakeTransport({"ps --all --quiet": LISTING_1}, open_tcp=FakeApps().open)
    selection = Selection(hosts=("10.0.0.1",), roles=("worker",))
    with pytest.raises(UsageError, match="no host matches the given --hosts/--roles"):
        overview.details(session_on(fake, tmp_path, selection))  # no worker on .1
    found = overview.details(session_on(fake, tmp_path, Selection(roles=("worker",))))
    assert list(found) == ["10.0.0.2"]
    assert [r.kind for r in found["10.0.0.2"]] == ["proxy", "accessory"]  # LISTING_1 has no worker


def test_details_runs_on_the_accessory_hosts_too(tmp_path: Path) -> None:
    fake = FakeTransport({"ps --all --quiet": inspected("/demo-search\topensearch:2\tcreated\t0"
                                                        "\t\tdemo-search\t\t\t\t")})  # fmt: skip
    found = overview.details(session_on(fake, tmp_path))
    assert list(found) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert [(r.kind, r.role, r.state) for r in found["10.0.0.3"]] == [
        ("accessory", "search", "created")
    ]


def test_an_unhealthy_answer_is_said_with_what_it_answered(tmp_path: Path) -> None:
    async def refuse(host: str, address: str, port: int) -> object:
        raise ConnectionRefusedError(111, "Connection refused")

    fake = FakeTransport({"ps --all --quiet": LISTING_1}, open_tcp=refuse)  # type: ignore[arg-type]
    found = overview.details(session_on(fake, tmp_path, Selection(hosts=("10.0.0.1",))))
    assert found["10.0.0.1"][1].health == (
        "unhealthy (/up: no HTTP answer: ConnectionRefusedError: [Errno 111] Connection refused)"
    )


# --- remove -----------------------------------------------------------------------------------

FLEET = Fleet(plan_of(APP))


def servers() -> FakeTransport:
    """The app's servers (FLEET), where an accessory's container, once removed, is gone."""
    fake = FLEET.make()
    return fake.first(lambda host, wire: Reply() if "'name=^demo-" in wire else None)


async def test_remove_runs_exactly_these_steps_and_lists_what_stays(tmp_path: Path) -> None:
    fake = servers()
    fake.on("10.0.0.1", "for p in", Reply(stdout=".dockyard/demo-audit.log\ndockyard-proxy-data\n"))
    fake.on("10.0.0.3", "network=kamal", Reply(stdout="in use\n"))
    removed = await run_in_thread(remove_everything, tmp_path)(fake)
    assert transcript(fake) == (EXPECTED / "remove.txt").read_text()
    assert removed == remove_result()
    assert not any(model.running for model in fake.proxies.values())  # type: ignore[attr-defined]


def remove_result() -> object:
    from dockyard.workflows.app.remove import Removed

    volume = (
        "proxy data volume dockyard-proxy-data kept (its TLS certificates and ACME account): "
        "`docker volume rm dockyard-proxy-data` removes it"
    )
    return Removed(
        app={h: "proxy removed (no other app used it)" for h in ("10.0.0.1", "10.0.0.2")},
        accessories={
            "10.0.0.1 (cache)": "demo-cache removed with ~/demo-cache",
            "10.0.0.3 (search)": "demo-search removed with ~/demo-search",
        },
        logged_out={
            "10.0.0.1": ["logged out of registry.lab:5000"],
            "10.0.0.2": ["logged out of registry.lab:5000"],
            "10.0.0.3": ["logged out of search.lab:5000"],
        },
        kept={
            "10.0.0.1": [volume, "audit log kept: ~/.dockyard/demo-audit.log"],
            "10.0.0.2": [],
            "10.0.0.3": ["network kamal kept: other containers are on it"],
        },
    )


async def test_remove_keeps_the_proxy_of_other_apps_and_says_so(tmp_path: Path) -> None:
    fake = servers()
    for model in fake.proxies.values():  # type: ignore[attr-defined]
        model.routes["other-web"] = '{"name": "other-web", "port": 80, "hosts": ["o.test"]}'
    removed = await run_in_thread(remove_everything, tmp_path)(fake)
    assert isinstance(removed, type(remove_result()))
    assert removed.app == {  # type: ignore[attr-defined]
        h: "proxy kept for the other apps on it (other-web)" for h in ("10.0.0.1", "10.0.0.2")
    }
    assert all(model.running for model in fake.proxies.values())  # type: ignore[attr-defined]
    for host in ("10.0.0.1", "10.0.0.2"):
        ran = " ".join(fake.commands_on(host))
        assert "rm --force dockyard-proxy" not in ran and "network=kamal" not in ran


async def test_a_logout_refused_where_not_logged_in_is_said(tmp_path: Path) -> None:
    fake = servers()
    fake.on("10.0.0.2", "logout", Reply(125, "", "Error: not logged into registry.lab:5000\n"))
    removed = await run_in_thread(remove_everything, tmp_path)(fake)
    assert removed.logged_out == {  # type: ignore[attr-defined]
        "10.0.0.1": ["logged out of registry.lab:5000"],
        "10.0.0.2": [
            "not logged out of registry.lab:5000: Error: not logged into registry.lab:5000"
        ],
        "10.0.0.3": ["logged out of search.lab:5000"],
    }


# --- every step failing -----------------------------------------------------------------------


def scripted() -> FakeTransport:
    """Servers that answer every command with success and no output (a hang ends at the
    transport's deadline, as on the real one)."""
    return FakeTransport(default_timeout=DEFAULT_TIMEOUT)


def listing_servers() -> FakeTransport:
    """Servers that list LISTING_1, whose web container answers its health path."""
    listing = {"ps --all --quiet": LISTING_1}
    return FakeTransport(listing, open_tcp=FakeApps().open, default_timeout=DEFAULT_TIMEOUT)


ENTRY_POINTS: dict[str, tuple[Callable[[Session], object], Callable[[], FakeTransport]]] = {
    "app logs": (lambda s: app_logs.logs(s, LogQuery.kamal(grep="GET")), scripted),
    "app logs --container-id": (
        lambda s: app_logs.logs(s, LogQuery.kamal(), container="4f2a"),
        scripted,
    ),
    "proxy logs": (lambda s: proxy.logs(s, LogQuery.kamal(since="1h")), scripted),
    "accessory logs": (
        lambda s: accessories.logs(s, "cache", LogQuery.kamal(grep="ready")),
        scripted,
    ),
    "details": (overview.details, listing_servers),
    "remove": (remove_everything, servers),
    "app remove": (remove_app, servers),
}
# Steps whose failure is an answer the command reports, not the end of it.
ANSWERS = {
    "details": ("172.18.0.4:3000",),  # a probe that fails: unhealthy, and said so
    "remove": (
        "inspect --format '{{.Config.Image}}' dockyard-proxy",  # none: the config's image
        "docker image rm ",  # the proxy image another container uses: kept, and said so
        "docker rm --force demo-",  # an accessory's: what counts is the state read after it
        "docker logout ",  # Podman's where it is not logged in: said, not an error
        LOCK_TAKEN_AGAIN,  # a lock's mkdir that fails with no lock to be seen is run again
    ),
    "app remove": (LOCK_TAKEN_AGAIN,),
}


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
async def test_every_step_failing_ends_with_one_line_naming_host_and_cause(
    name: str, tmp_path: Path
) -> None:
    entry, make = ENTRY_POINTS[name]
    run = run_in_thread(entry, tmp_path)
    steps = await happy_path(make, run)
    assert steps, f"{name} ran nothing"

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        answers = ANSWERS.get(name, ())
        if error is None and any(answer in failure.call.text for answer in answers):
            return ""
        return one_line_naming_host_and_cause(failure, error)

    assert await each_step_failing(make, run, check, steps) == []

"""`lb boot|drain|undrain|details` (workflows/balancer) on the scripted transport: two edges in
front of three web hosts; the happy paths' exact steps, then every step failing."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from dockyard.commands import edge_pool
from dockyard.commands.edge_config import edge_config
from dockyard.commands.logs import LogQuery
from dockyard.config import Config
from dockyard.errors import DockyardError, HostUnreachable, UsageError
from dockyard.facts.caddy import UpstreamLoad
from dockyard.plan.balancer import edge_settings, edge_sites
from dockyard.ssh.fake import Call, FakeTransport, Reply
from dockyard.workflows.balancer import edge, lifecycle, manage
from dockyard.workflows.proxy.controller import config_text
from tests.unit.config.conftest import BASE, parse
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause, step_kind
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import HOME, transcript
from tests.unit.workflows.peers import FakeCaddyAdmin
from tests.unit.workflows.test_deploy_scenarios import EXPECTED as EXPECTED_DIR

CONFIG: Config = parse(
    BASE
    + "servers: [10.0.0.1, 10.0.0.2, 10.0.0.3]\n"
    + "proxy: {host: shop.test}\n"
    + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9]}\n"
)
EDGES = ("10.0.0.8", "10.0.0.9")
CURRENT = config_text(edge_config(edge_sites(CONFIG), edge_settings(CONFIG)))
TLS_CONFIG: Config = parse(
    BASE
    + "servers: [10.0.0.1, 10.0.0.2, 10.0.0.3]\n"
    + "proxy: {host: shop.test, ssl: {certificate_pem: CERT_PEM, private_key_pem: KEY_PEM}}\n"
    + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9]}\n"
)
TLS_SECRETS = {"CERT_PEM": "-----BEGIN CERTIFICATE-----", "KEY_PEM": "-----BEGIN PRIVATE KEY-----"}


WEB = ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
POOL = edge_pool.render_hosts(edge_pool.with_hosts({}, {"app-web": WEB}))


def slot(n: int) -> str:
    """Web host 10.0.0.<n>'s slot in POOL, as Caddy names the upstream."""
    return f"s{n - 1}.app-web.pool.dockyard:80"


@dataclass
class EdgeWorld:
    """Each edge: its caddy.json, whether its container runs (with the hosts file mounted)
    and its hosts file; the writes change them. Its health checks take a slot's host in at
    once (the log says so for every slot mapped)."""

    config: str = ""
    running: bool = False
    hosts: str = POOL
    mounted: bool = True
    admin: FakeCaddyAdmin = field(default_factory=FakeCaddyAdmin)
    edges: dict[str, list[str]] = field(default_factory=dict)

    def make(self) -> FakeTransport:
        state = {host: [self.config, self.running, self.hosts] for host in EDGES}
        fake = FakeTransport(open_unix=self.admin.open, default_timeout=300.0)
        mounts = "/dockyard /etc/hosts /data" if self.mounted else "/dockyard /data"

        def read(host: str, wire: str) -> Reply:
            if "caddy.json.tmp" in wire:
                state[host][0] = fake.inputs[host][-1] or ""
            config, running, hosts = state[host]
            inspected = f"{'true' if running else 'false'} {mounts}"
            return Reply(stdout=f"{HOME}\0{config}\0{inspected}\n\0{hosts}")

        def hosts_written(host: str, wire: str) -> Reply:
            state[host][2] = fake.inputs[host][-1] or ""
            return Reply()

        def health(host: str, wire: str) -> Reply:
            layout = edge_pool.parse_hosts(str(state[host][2]))
            up = [
                f'"msg":"host is up","host":"{edge_pool.slot_name(site, k)}:80"\n'
                for site, slots in layout.items()
                for k, s in enumerate(slots)
                if s.address
            ]
            return Reply(stdout="".join(up))

        def started(host: str, wire: str) -> Reply:
            state[host][0] = fake.inputs[host][-1] or ""
            state[host][1] = True
            return Reply()

        def removed(host: str, wire: str) -> Reply:
            state[host][1] = False
            return Reply()

        def listed(host: str, wire: str) -> Reply:
            up = "Up 2 minutes" if state[host][1] else "Exited (0) 1 minute ago"
            return Reply(stdout=f"dockyard-edge caddy:2.11 {up}\n")

        for host in EDGES:
            fake.on(host, "dd of=", hosts_written)
            fake.on(host, "health.log", health)
            fake.on(host, "start dockyard-edge", started)
            fake.on(host, "dockyard-edge 2>/dev/null", read)
            fake.on(host, "name=^dockyard-edge$", listed)
            fake.on(host, "rm --force dockyard-edge", removed)
            fake.on(host, "logs", lambda host, wire: Reply(stdout='{"msg":"serving"}\n'))
        return fake


def upstreams(**in_flight: int) -> bytes:
    entries = [
        {"address": slot(n), "num_requests": in_flight.get(f"web{n}", 0), "fails": 0}
        for n in range(1, 9)
    ]
    # the edge's probe server dials a placeholder: Caddy lists it too
    entries.append({"address": "{http.request.hostport}", "num_requests": 0, "fails": 0})
    return json.dumps(entries).encode()


def busy_then_idle() -> EdgeWorld:
    """Edges with one request in flight to web host 2 at the first look, none at the next."""
    world = EdgeWorld(config=CURRENT, running=True)
    for host in EDGES:
        world.admin.upstreams[host] = [upstreams(web2=1), upstreams()]
    return world


def serving() -> EdgeWorld:
    world = EdgeWorld(config=CURRENT, running=True)
    for host in EDGES:
        world.admin.upstreams[host] = [upstreams(web2=3)]
    world.admin.probed["10.0.0.2:80"] = (503, b"drained from the load balancer\n")
    world.admin.probed["10.0.0.3:80"] = (502, b"dial tcp 10.0.0.3:80: connect: connection refused")
    return world


def polled_after_start(call: Call, fake: FakeTransport) -> bool:
    """One failed poll of a started edge's admin API is not the end (as for the proxy)."""
    started = "start dockyard-edge" in " ".join(fake.commands_on(call.host))
    return step_kind(call) == "admin" and started


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge, "ADMIN_TIMEOUT", 0.05)
    monkeypatch.setattr(edge, "ADMIN_WAIT", 0.05)
    monkeypatch.setattr(edge, "CHECK_TIMEOUT", 0.05)
    monkeypatch.setattr(manage, "CHECK_SETTLE", 0.0)
    monkeypatch.setattr(manage, "POLL", 0.001)


async def boot(fake: FakeTransport) -> object:
    return await manage.boot_on(fake, CONFIG, {})


async def boot_tls(fake: FakeTransport) -> object:
    return await manage.boot_on(fake, TLS_CONFIG, TLS_SECRETS)


ADDED: Config = parse(
    BASE
    + "servers: [10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4]\n"
    + "proxy: {host: shop.test}\n"
    + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9]}\n"
)
REMOVED: Config = parse(
    BASE
    + "servers: [10.0.0.1, 10.0.0.2]\n"
    + "proxy: {host: shop.test}\n"
    + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9]}\n"
)


async def add_host(fake: FakeTransport) -> object:
    return await manage.boot_on(fake, ADDED, {})


async def remove_host(fake: FakeTransport) -> object:
    return await manage.boot_on(fake, REMOVED, {})


def busy_on_web3() -> EdgeWorld:
    """Edges with a request in flight to web host 3 at the first look, none at the next."""
    world = EdgeWorld(config=CURRENT, running=True)
    for host in EDGES:
        world.admin.upstreams[host] = [upstreams(web3=1), upstreams()]
    return world


async def drain(fake: FakeTransport) -> object:
    return await manage.drain_on(fake, CONFIG, "10.0.0.2")


async def undrain(fake: FakeTransport) -> object:
    return await manage.undrain_on(fake, CONFIG, "10.0.0.2")


async def details(fake: FakeTransport) -> object:
    return await manage.details_on(fake, CONFIG)


async def reboot(fake: FakeTransport) -> object:
    return await lifecycle.reboot_on(fake, CONFIG, {})


async def logs(fake: FakeTransport) -> object:
    return await lifecycle.logs_on(fake, CONFIG, LogQuery(lines=10))


async def remove(fake: FakeTransport) -> object:
    return await lifecycle.remove_on(fake, CONFIG)


Run = Callable[[FakeTransport], Awaitable[object]]
SCENARIOS: list[tuple[str, Callable[[], FakeTransport], Run]] = [
    ("lb-boot-fresh", EdgeWorld(hosts="").make, boot),
    ("lb-pool-add", EdgeWorld(config=CURRENT, running=True).make, add_host),
    ("lb-pool-remove", lambda: busy_on_web3().make(), remove_host),
    ("lb-boot-outdated", EdgeWorld(config="{}\n", running=True).make, boot),
    ("lb-boot-up-to-date", EdgeWorld(config=CURRENT, running=True).make, boot),
    ("lb-boot-tls", EdgeWorld(config=CURRENT, running=True).make, boot_tls),
    ("lb-drain", lambda: busy_then_idle().make(), drain),
    ("lb-undrain", EdgeWorld(config=CURRENT, running=True).make, undrain),
    ("lb-details", lambda: serving().make(), details),
    ("lb-reboot", EdgeWorld(config=CURRENT, running=True).make, reboot),
    ("lb-logs", EdgeWorld(config=CURRENT, running=True).make, logs),
    ("lb-remove", EdgeWorld(config=CURRENT, running=True).make, remove),
]
IDS = [name for name, _, _ in SCENARIOS]
EXPECTED = {
    "lb-boot-fresh": {"10.0.0.8": True, "10.0.0.9": True},
    "lb-boot-outdated": {"10.0.0.8": True, "10.0.0.9": True},
    "lb-boot-up-to-date": {"10.0.0.8": False, "10.0.0.9": False},
    "lb-pool-add": {"10.0.0.8": True, "10.0.0.9": True},
    "lb-pool-remove": {"10.0.0.8": True, "10.0.0.9": True},
    "lb-boot-tls": {"10.0.0.8": True, "10.0.0.9": True},
    "lb-reboot": list(EDGES),
    "lb-logs": {host: ['{"msg":"serving"}'] for host in EDGES},
    "lb-remove": list(EDGES),
    "lb-drain": {},
    "lb-undrain": None,
    "lb-details": {
        host: manage.EdgeDetails(
            ["dockyard-edge caddy:2.11 Up 2 minutes"],
            {
                "10.0.0.1:80": UpstreamLoad(0),
                "10.0.0.2:80": UpstreamLoad(3),
                "10.0.0.3:80": UpstreamLoad(0),
            },
            {
                "10.0.0.1:80": {"app-web": "healthy"},
                "10.0.0.2:80": {"app-web": "drained"},
                "10.0.0.3:80": {
                    "app-web": "down: 502: dial tcp 10.0.0.3:80: connect: connection refused"
                },
            },
        )
        for host in EDGES
    },
}


@pytest.mark.parametrize(("name", "make", "run"), SCENARIOS, ids=IDS)
async def test_the_happy_path_runs_exactly_these_steps(
    name: str, make: Callable[[], FakeTransport], run: Run
) -> None:
    fake = make()
    result = await run(fake)
    if name in EXPECTED:
        assert result == EXPECTED[name]
    assert transcript(fake) == (EXPECTED_DIR / f"{name}.txt").read_text()


@pytest.mark.parametrize(("name", "make", "run"), SCENARIOS, ids=IDS)
async def test_every_step_failing_ends_with_one_line_naming_host_and_cause(
    name: str, make: Callable[[], FakeTransport], run: Run
) -> None:
    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if error is None and polled_after_start(failure.call, fake):
            return ""  # a started edge's admin API is polled until it answers
        return one_line_naming_host_and_cause(failure, error)

    steps = await happy_path(make, run)
    assert await each_step_failing(make, run, check, steps) == []


async def test_a_host_that_is_no_web_host_behind_the_edges_is_refused_before_anything_runs() -> (
    None
):
    fake = EdgeWorld(config=CURRENT, running=True).make()
    with pytest.raises(
        UsageError,
        match=r"10.0.0.8 is not a web host behind the load balancer "
        r"\(those are: 10.0.0.1, 10.0.0.2, 10.0.0.3\)",
    ):
        await manage.drain_on(fake, CONFIG, "10.0.0.8")
    assert fake.calls == []


async def test_a_drain_that_outlasts_the_drain_timeout_says_what_is_left() -> None:
    config = parse(
        BASE
        + "servers: [10.0.0.1, 10.0.0.2, 10.0.0.3]\nproxy: {host: shop.test}\ndrain_timeout: 0\n"
        + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9]}\n"
    )
    world = EdgeWorld(config=CURRENT, running=True)
    world.admin.upstreams["10.0.0.9"] = [upstreams(web2=2)]
    assert await manage.drain_on(world.make(), config, "10.0.0.2") == {"10.0.0.9": 2}


async def test_without_a_load_balancer_the_lb_commands_say_how_to_add_one() -> None:
    with pytest.raises(UsageError, match="add x-dockyard/load_balancer/hosts"):
        await manage.boot_on(FakeTransport(), parse(BASE + "servers: [10.0.0.1]\n"), {})


async def test_each_edge_gets_the_certificate_before_it_loads_the_config_that_names_it() -> None:
    fake = EdgeWorld(config=CURRENT, running=True).make()
    await boot_tls(fake)
    bundle = "-----BEGIN CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n"
    for host in EDGES:
        written = [text for text in fake.inputs[host] if text]
        assert written[0] == bundle  # the bundle first, then the caddy.json that names it
        loaded = json.loads(written[1])
        assert loaded["apps"]["tls"]["certificates"]["load_files"][0]["certificate"] == (
            "/dockyard/certs/app-web.pem"
        )


async def test_a_reboot_replaces_one_edge_at_a_time_and_stops_at_a_failure() -> None:
    fake = EdgeWorld(config=CURRENT, running=True).make()
    await reboot(fake)
    hosts = [call.host for call in fake.calls]
    assert hosts == sorted(hosts)  # every step on the first edge before any on the second
    failing = EdgeWorld(config=CURRENT, running=True).make()
    failing.on(EDGES[0], "start dockyard-edge", lambda host, wire: Reply(exit_status=125))
    with pytest.raises(DockyardError) as raised:
        await reboot(failing)
    assert "run `dockyard lb boot` once this is fixed" in str(raised.value)
    assert failing.commands_on(EDGES[1]) == []  # the second edge still serves


async def test_booting_a_tls_site_without_its_certificates_secrets_is_a_bug_not_plain_http() -> (
    None
):
    with pytest.raises(KeyError):
        await manage.boot_on(EdgeWorld().make(), TLS_CONFIG, {})


async def test_a_removed_web_host_that_is_down_leaves_the_pool_without_its_drain() -> None:
    # often why it leaves: its drain flag cannot be set, and the edges' checks have it out
    fake = busy_on_web3().make()
    fake.on("10.0.0.3", ".drained", HostUnreachable("10.0.0.3", 12))
    assert await remove_host(fake) == {"10.0.0.8": True, "10.0.0.9": True}
    for host in EDGES:
        written = [text for text in fake.inputs[host] if text and ".pool.dockyard" in text]
        assert written and "10.0.0.3 " not in written[-1], written
        assert "10.0.0.1 " in written[-1]

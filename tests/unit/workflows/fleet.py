"""Scripted servers for the deploy scenarios: a FakeTransport that answers a deploy's steps as
servers running an app would.

    fleet = Fleet(plan_of(CONFIG), serving="v1")       # every host runs v1 of each role
    fake = fleet.make()                                 # a fresh ScriptedServers each time
    await deploy(fake, fleet.plan, DeployOptions())

Containers are static (a listing per role and host: the serving version running, the kept ones
exited); the proxy's state on each host is a small model that the deploy's own writes change
(route files, caddy.json, the live-slot flags, the proxy container started), so a first deploy
to a fresh server reads back what it wrote. What passed a check is recorded: `apps.healthy`
(health probes answered 200) and `running_reads` (a container's state read as running).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from pytest import MonkeyPatch

from dockyard.commands import app as app_commands
from dockyard.commands.caddy_config import caddy_config
from dockyard.config import parse_config
from dockyard.plan.deploy import DeployPlan, HostBoot
from dockyard.plan.from_config import deploy_plan
from dockyard.plan.role import RoleBoot
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.ssh.transport import ByteReader, ByteWriter
from dockyard.workflows.deploy import health
from dockyard.workflows.proxy import controller
from dockyard.workflows.proxy.controller import config_text
from tests.unit.workflows.faults import steady
from tests.unit.workflows.peers import FakeApps, FakeCaddyAdmin

HOME = "/home/deploy"
SECRETS = {"SECRET_KEY": "s3cret", "REGISTRY_PASSWORD": "pw"}
DEFAULT_TIMEOUT = 300.0  # the transport's default command timeout (a HANG ends there at once)
STATE_READ = 'printf "%s\\0" "$HOME"'  # in every read of the proxy's state
NO_NETWORK = Reply(125, "", "docker: Error response from daemon: network kamal not found.")
CREATED = {"v0": "2024-01-01 10:00:00", "v1": "2024-01-02 10:00:00", "v2": "2024-01-03 10:00:00"}


def plan_of(yaml: str, version: str = "v2") -> DeployPlan:
    """The deploy plan of a config, with health checks that give up on a silent container at
    once (a scenario has no time to wait 5 s for a probe that never answers)."""
    config = parse_config([("config/deploy.yml", yaml)], version=version)
    plan = deploy_plan(config, SECRETS, token="t0k3n", performer="tester")

    def quick(boot: RoleBoot) -> RoleBoot:
        return replace(boot, health=replace(boot.health, timeout=0.05))  # type: ignore[arg-type]

    groups = tuple(
        tuple(HostBoot(h.host, tuple(quick(r) for r in h.roles)) for h in group)
        for group in plan.groups
    )
    return replace(plan, groups=groups)


def container_id(role: str, version: str, host: str, *, new: bool = False) -> str:
    """`webv1h2`: role web, version v1, on host .2; the one this run starts ends in `new` (an
    `app boot` starts the version that already runs)."""
    return f"{role[:3]}{version}h{host.rsplit('.', 1)[-1]}" + ("new" if new else "")


def container_ip(role: str, version: str, host: str) -> str:
    """A distinct address per container: 172.18.<host>.<role and version>."""
    roles = ("web", "worker", "jobs")
    return f"172.18.{host.rsplit('.', 1)[-1]}.{10 * (roles.index(role) + 1) + int(version[1:])}"


@dataclass
class ProxyModel:
    running: bool
    config: str = ""
    routes: dict[str, str] = field(default_factory=dict)  # route name -> its file
    live_b: set[str] = field(default_factory=set)

    def state(self) -> str:
        files = "".join(text + "\0" for _, text in sorted(self.routes.items()))
        live = "".join(f"{name}\n" for name in sorted(self.live_b))
        running = "true" if self.running else "missing"
        return f"{HOME}\0{self.config}\0{running}\n\0{live}\0{files}"


@dataclass(frozen=True)
class RunningRead:
    step: int
    host: str
    name: str


class ScriptedServers(FakeTransport):
    """The FakeTransport of one scenario run, with what its peers and replies recorded."""

    def __init__(self, fleet: Fleet) -> None:
        self.admin = FakeCaddyAdmin()
        self.apps = FakeApps(steps=lambda: len(self.calls), resolve=self._resolve)
        super().__init__(
            open_unix=self._open_socket, open_tcp=self.apps.open, default_timeout=DEFAULT_TIMEOUT
        )
        self.fleet = fleet
        # (host, slot alias) -> the address of the container holding it
        self.aliases = fleet.serving_aliases()
        self.proxies = {host: fleet.proxy_model(host) for host in fleet.plan.proxy_hosts}
        self.running_reads: list[RunningRead] = []
        # Servers that ran the app or the proxy have its network; fresh ones do not.
        has_network = fleet.serving is not None or fleet.proxy_running
        self.networks = set(fleet.plan.hosts) if has_network else set()
        self.on_every('test -d "$HOME/.dockyard/lock-', Reply(1))  # no lock is held
        self.on_every(STATE_READ, self._proxy_state)
        self.on_every("start dockyard-proxy", self._proxy_started)
        self.on_every("name=^dockyard-proxy$", self._proxy_listed)
        self.on_every("rm --force dockyard-proxy", self._proxy_removed)
        self.on_every(app_commands.RUN_MARKER, self._listed_then_run)
        self.on_every("{{.Names}}\t{{.State}}", self._listed)
        self.on_every("{{.RestartCount}}", Reply(stdout=f"{app_commands.STOPPED}\n"))
        self.on_every("{{.State.Status}}", self._inspected)
        self.on_every("network connect --alias", self._connected)

    def on_every(self, substring: str, rule: Callable[[str, str], Reply] | Reply) -> None:
        self._rules.append((None, substring, rule))

    def _input(self, host: str) -> str:
        return self.inputs[host][-1] or ""

    def _proxy_state(self, host: str, wire: str) -> Reply:
        model = self.proxies.setdefault(host, ProxyModel(running=False))
        data = self._input(host)
        for name in self.fleet.route_names:
            if f"routes/{name}.json.tmp" in wire:
                model.routes[name] = data
            flag = f"live/{name}.b"
            if f'touch "$HOME/.dockyard/proxy/{flag}"' in wire:
                model.live_b.add(name)
            if f'rm -f "$HOME/.dockyard/proxy/{flag}"' in wire:
                model.live_b.discard(name)
        if "proxy/caddy.json.tmp" in wire:
            model.config = data
        return Reply(stdout=model.state())

    def _proxy_listed(self, host: str, wire: str) -> Reply:
        """`proxy details`' listing: the proxy's container where it runs."""
        model = self.proxies.get(host)
        running = model is not None and model.running
        return Reply(stdout="dockyard-proxy caddy Up 2 hours\n" if running else "")

    def _network_ensured(self, host: str, wire: str) -> bool:
        if "network create kamal" in wire:
            self.networks.add(host)
        return host in self.networks

    def _proxy_started(self, host: str, wire: str) -> Reply:
        if not self._network_ensured(host, wire):
            return NO_NETWORK
        model = self.proxies.setdefault(host, ProxyModel(running=False))
        model.running, model.config = True, self._input(host)
        return Reply()

    def _proxy_removed(self, host: str, wire: str) -> Reply:
        self.proxies.setdefault(host, ProxyModel(running=False)).running = False
        return Reply()

    async def _open_socket(self, host: str, path: str) -> tuple[ByteReader, ByteWriter]:
        if path.endswith("/probe.sock"):
            return await self.apps.open_probe(host)
        return await self.admin.open(host, path)

    def _resolve(self, host: str, upstream: str) -> str | None:
        return self.aliases.get((host, upstream.rsplit(":", 1)[0]))

    def _connected(self, host: str, wire: str) -> Reply:
        """A kept container started again in a slot (rollback): it holds that alias now."""
        alias, _, started = re.search(r"--alias (\S+) (\S+) (\S+)", wire).groups()  # type: ignore[union-attr]
        role = next(r for r in self.fleet.roles if started.startswith(r[:3]))
        version = started[len(role[:3]) :].split("h")[0]
        self.aliases[(host, alias)] = container_ip(role, version, host)
        return Reply()

    def _role(self, wire: str) -> str:
        return next(r for r in self.fleet.roles if f"label=role={r}" in wire)

    def _listed_then_run(self, host: str, wire: str) -> Reply:
        if not self._network_ensured(host, wire):
            return NO_NETWORK
        role, version = self._role(wire), self.fleet.plan.version
        new = container_id(role, version, host, new=True)
        if alias := re.search(r"--network-alias (\S+)", wire):
            self.aliases[(host, alias.group(1))] = container_ip(role, version, host)
        state = f"running\t\t{container_ip(role, version, host)}"
        listing = self.fleet.listing(host, role)
        return Reply(stdout=f"{listing}{app_commands.RUN_MARKER}\n{new}{'0' * 52}\n{state}\n")

    def _listed(self, host: str, wire: str) -> Reply:
        return Reply(stdout=self.fleet.listing(host, self._role(wire)))

    def _inspected(self, host: str, wire: str) -> Reply:
        name = wire.rsplit(" ", 1)[-1]
        role, _, version = name.removeprefix(f"{self.fleet.plan.service}-").rpartition("-")
        self.running_reads.append(RunningRead(len(self.calls) - 1, host, name))
        return Reply(stdout=f"running\t\t{container_ip(role, version, host)}\n")


@dataclass(frozen=True)
class Fleet:
    """Servers that run `serving` of every role of the plan (None: fresh servers), keep the
    stopped containers of `kept`, and run the proxy (unless `proxy_running` is False)."""

    plan: DeployPlan
    serving: str | None = "v1"
    kept: tuple[str, ...] = ()
    proxy_running: bool = True

    @property
    def roles(self) -> list[str]:
        return list(dict.fromkeys(b.role for h in self.host_boots for b in h.roles))

    @property
    def host_boots(self) -> list[HostBoot]:
        return [h for group in self.plan.groups for h in group]

    @property
    def route_names(self) -> list[str]:
        return [b.route.name for h in self.host_boots for b in h.roles if b.route is not None]

    def roles_on(self, host: str) -> list[str]:
        return [b.role for h in self.host_boots if h.host == host for b in h.roles]

    def make(self) -> ScriptedServers:
        return ScriptedServers(self)

    def proxy_model(self, host: str) -> ProxyModel:
        if not self.proxy_running:
            return ProxyModel(running=False)
        boots = next(h.roles for h in self.host_boots if h.host == host)
        routes = {b.route.name: b.route.to_json() for b in boots if b.route is not None}
        config = caddy_config([b.route for b in boots if b.route], self.plan.proxy_settings)
        return ProxyModel(True, config_text(config), routes)

    def serving_aliases(self) -> dict[tuple[str, str], str]:
        """The serving version of each proxied role holds slot a (no live flag is set)."""
        if self.serving is None:
            return {}
        return {
            (h.host, f"{b.route.name}--a"): container_ip(b.role, self.serving, h.host)
            for h in self.host_boots
            for b in h.roles
            if b.route is not None
        }

    def listing(self, host: str, role: str) -> str:
        """The role's containers on the host, as `list_containers` prints them."""
        lines = []
        versions = ([self.serving] if self.serving else []) + list(self.kept)
        for version in versions:
            state = "running" if version == self.serving else "exited"
            name = f"{self.plan.service}-{role}-{version}"
            created = CREATED[version]
            lines.append(f"{name}\t{state}\t{created}\t{container_id(role, version, host)}\n")
        return "".join(lines)


def fast_waits(monkeypatch: MonkeyPatch) -> None:
    """The workflows' pauses and stream deadlines, shortened: the fake answers at once, so
    only the waits themselves would make the scenarios slow."""
    monkeypatch.setattr(controller, "SETTLE_AFTER_SWITCH", 0.0)
    monkeypatch.setattr(controller, "SETTLE_AFTER_RELOAD", 0.0)
    monkeypatch.setattr(controller, "FAIL_WINDOW", 0.001)
    monkeypatch.setattr(controller, "ADMIN_TIMEOUT", 0.05)
    monkeypatch.setattr(health, "FIRST_PAUSE", 0.001)
    monkeypatch.setattr(health, "STATE_PAUSE", 0.001)


def transcript(fake: FakeTransport) -> str:
    """Every step per host, in order, with what changes from run to run replaced (see
    faults.steady): what the expected/*.txt files hold."""
    lines = []
    for host in dict.fromkeys(call.host for call in fake.calls):
        lines.append(f"# {host}")
        lines += [f"{c.kind}: {steady(c).text}" for c in fake.calls if c.host == host]
    return "\n".join(lines) + "\n"

"""Booting every role on every host of a deploy, group by group (boot.limit, boot.wait), behind
the primary-role barrier. Each boot is recorded in the ledger (where it left the role), and the
old versions each replaced are kept in `stops`, for the deploy's last trip to the host.

    booting = Booting(transport, plan, proxies, report, ledger)
    booted = await booting.all_groups(hooks, skip_hooks=False)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dockyard.commands.base import Command
from dockyard.plan.deploy import DeployPlan, HostBoot
from dockyard.plan.role import RoleBoot
from dockyard.ssh.transport import Transport
from dockyard.workflows.deploy.boot import Barrier, Booted, boot_role_on_host
from dockyard.workflows.deploy.outcome import Ledger
from dockyard.workflows.fanout import on_hosts
from dockyard.workflows.hooks import HookContext, run_hook
from dockyard.workflows.proxy.controller import ProxyController
from dockyard.workflows.server import Server

Report = Callable[[str, str], None]  # (host, what happened); host "" for the whole deploy


@dataclass
class Booting:
    transport: Transport
    plan: DeployPlan
    proxies: dict[str, ProxyController]
    report: Report
    ledger: Ledger
    stops: dict[str, list[Command]] = field(default_factory=dict)  # per host: old versions
    barrier: Barrier | None = None

    def __post_init__(self) -> None:
        boots = [boot for group in self.plan.groups for h in group for boot in h.roles]
        primary = next((boot.role for boot in boots if boot.primary), None)
        gated = primary is not None and len({boot.role for boot in boots}) > 1
        self.barrier = Barrier(primary) if primary is not None and gated else None

    async def all_groups(self, hooks: HookContext, *, skip_hooks: bool) -> list[Booted]:
        plan = self.plan
        booted: list[Booted] = []
        for group in plan.groups:
            group_hooks = replace(hooks, hosts=tuple(h.host for h in group))
            await run_hook(Path(plan.hooks_path), "pre-app-boot", group_hooks, skip=skip_hooks)
            by_host = {h.host: h for h in group}

            async def boot(host: str, by_host: dict[str, HostBoot] = by_host) -> list[Booted]:
                return await self.host(by_host[host])

            results = await on_hosts(list(by_host), boot)
            booted += [b for host_booted in results.values() for b in host_booted]
            await run_hook(Path(plan.hooks_path), "post-app-boot", group_hooks, skip=skip_hooks)
            if plan.boot_wait and group is not plan.groups[-1]:
                await asyncio.sleep(plan.boot_wait)
        return booted

    async def host(self, host_boot: HostBoot) -> list[Booted]:
        """Every role of the host: one after another, or at once with boot.parallel_roles."""
        host = host_boot.host
        try:
            if self.plan.parallel_roles:
                return list(await asyncio.gather(*(self.role(host, r) for r in host_boot.roles)))
            return [await self.role(host, r) for r in host_boot.roles]
        except BaseException as error:
            self.ledger.host_failed(host, error)
            raise

    async def role(self, host: str, role_plan: RoleBoot) -> Booted:
        proxy = self.proxies.get(host) if role_plan.route is not None else None

        def say(message: str) -> None:
            self.report(host, f"{role_plan.role}: {message}")

        server = Server(self.transport, host, self.plan.engine)
        try:
            booted = await boot_role_on_host(server, role_plan, proxy, self.barrier, say)
        except BaseException as error:
            self.ledger.failed(host, role_plan.role, error)
            raise
        self.ledger.booted(booted)
        if booted.stop is not None:
            self.stops.setdefault(host, []).append(booted.stop)
        # A role without the proxy serves no request: it runs (a worker, a job runner).
        state = "is serving" if role_plan.route is not None else "is running"
        say(f"{booted.name} {state}")
        return booted

"""Deploy a version to the app's swarm (the image already on every node: release.py delivers
it): the stack applied, then each service's update watched to its end.

Swarm rolls a failed update back by itself, and `docker stack deploy` exits 0 all the same (so
do `service update` and `stack deploy --detach=false`): the update's own state says how it
ended, and a rolled-back update fails the deploy, naming the service and Swarm's words.

    rolled = await deploy_stack(manager, stack, seconds=120)   # {service: updated | running}
"""

from __future__ import annotations

import asyncio
import time

from dockyard.commands import swarm as commands
from dockyard.commands.swarm_stack import stack_file
from dockyard.errors import DockyardError
from dockyard.facts.swarm import UpdateStatus, parse_replicas, parse_update_status
from dockyard.plan.swarm import SwarmStack
from dockyard.workflows.server import Server

POLL = 1.0  # seconds between two reads of the services' state
UNCHANGED = "nothing was changed"
KEPT = "the services run the version before; run the deploy again"


async def deploy_stack(manager: Server, stack: SwarmStack, *, seconds: float) -> dict[str, str]:
    """Apply the stack on the manager and wait for every service: {service: how it ended}."""
    names = [f"{stack.name}_{service.role}" for service in stack.spec.services]
    before = {name: await last_update(manager, name) for name in names}
    directory = f".dockyard/swarm/{stack.name}"
    with manager.step("writing the stack file", UNCHANGED):
        await manager.run(commands.make_stack_dir(directory))
        await manager.upload(stack_file(stack.spec).encode(), f"{directory}/stack.yml")
        for name, content in stack.env_files.items():
            await manager.upload(content.encode(), f"{directory}/{name}", mode=0o600)
    with manager.step("applying the stack", KEPT):
        await manager.run(commands.stack_deploy(directory, stack.name))
    image = stack.spec.services[0].image if stack.spec.services else None
    return await wait_for_services(manager, stack.name, before, seconds, image)


async def last_update(manager: Server, service: str) -> str:
    """When the service's last update started ("" for a service that has none, or none yet)."""
    found = await manager.run(commands.update_status(service), check=False)
    status = parse_update_status(found.stdout) if found.ok else None
    return status.started if status else ""


async def wait_for_services(
    manager: Server, stack: str, before: dict[str, str], seconds: float, image: str | None
) -> dict[str, str]:
    deadline = time.monotonic() + seconds
    ended: dict[str, str] = {}
    causes: dict[str, str] = {}  # why Swarm started rolling a service back, in its words
    while True:
        for name in [n for n in before if n not in ended]:
            said = await service_end(manager, stack, name, before[name], causes, image)
            if said is not None:
                ended[name] = said
        if len(ended) == len(before):
            return {name: ended[name] for name in before}  # in the stack's order
        if time.monotonic() > deadline:
            waiting = ", ".join(n for n in before if n not in ended)
            raise DockyardError(
                f"{manager.host}: {waiting} did not finish updating within {seconds:g}s; Swarm "
                f"goes on with it: see `docker service ps {waiting.split(', ')[0]}` there"
            )
        await asyncio.sleep(POLL)


async def service_end(
    manager: Server, stack: str, name: str, before: str, causes: dict[str, str], image: str | None
) -> str | None:
    """How the service's update ended; None while it goes on; DockyardError when Swarm rolled
    it back or paused it. Right after `stack deploy` the update Swarm reports can still be the
    one before: a service is only done once every task it runs has the image (`image`; None:
    any) and all are running."""
    with manager.step(f"reading the update of {name}", KEPT):
        found = await manager.run(commands.update_status(name))
    status = parse_update_status(found.stdout)
    if status is not None and status.started != before:
        if status.state == "rollback_started":
            causes.setdefault(name, status.message)
        if status.over:
            return _ended(manager, name, status, causes.get(name))
    if status is not None and not status.over:
        return None
    with manager.step(f"reading the tasks of {name}", KEPT):
        listed = await manager.run(commands.service_replicas(stack))
        images = (await manager.run(commands.task_images(name))).stdout.split()
    running, desired = parse_replicas(listed.stdout).get(name, (0, -1))
    current = image is None or all(found.split("@")[0] == image for found in images)
    return "running" if running == desired and current else None


def _ended(manager: Server, name: str, status: UpdateStatus, cause: str | None) -> str:
    if status.state == "completed":
        return "updated"
    raise DockyardError(
        f"{manager.host}: Swarm rolled the update of {name} back ({status.state}: "
        f"{cause or status.message}); it runs the version before. Its new tasks did not stay "
        f"healthy: see `docker service ps --no-trunc {name}` there and the health check "
        "(proxy/healthcheck)"
    )


async def scale_service(
    manager: Server, stack: str, role: str, replicas: int, *, seconds: float
) -> dict[str, str]:
    """Run `replicas` tasks of the role, and wait until they all run. It lasts until the next
    deploy, which applies x-dockyard/swarm/roles/<role>/replicas again."""
    name = f"{stack}_{role}"
    before = {name: await last_update(manager, name)}
    with manager.step(f"scaling {name} to {replicas}", UNCHANGED):
        await manager.run(commands.service_scale(name, replicas))
    return await wait_for_services(manager, stack, before, seconds, None)

"""The release pointers a deploy or rollback to the swarm switches on the jobs' host (pure;
docs/cron.md, docs/swarm.md).

On the swarm the role's env secrets are in a Swarm secret, not in a file on the host: the
switch gets them on its standard input, as a 0600 file (the env file `app exec` writes there,
plan/swarm_exec.py, named after the release), from which `switch_release` writes the release's
env (the clear env its tasks get, KAMAL_VERSION with it, then the secrets; 0600); that file is
removed when the command ends, however it ends. No secret is on a command line.

    switches = pointer_switches(config, secrets, keep_existing=False)   # [PointerSwitch]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dockyard.commands.app import make_dirs
from dockyard.commands.app_exec import removing_on_exit
from dockyard.commands.base import Raw, all_of, write_stdin
from dockyard.commands.cron import switch_release
from dockyard.config.objects import Config
from dockyard.plan.cron_target import cron_target, release_env
from dockyard.plan.swarm_exec import exec_container
from dockyard.redaction import Secret


@dataclass(frozen=True)
class PointerSwitch:
    role: str
    command: Raw  # run on the jobs' host with `secrets` on its standard input
    secrets: Secret  # the role's env secrets, as env file lines


def pointer_switches(
    config: Config, secrets: Mapping[str, str], *, keep_existing: bool
) -> list[PointerSwitch]:
    """The switch of each role with jobs to config.version (none without jobs); a rollback
    (`keep_existing`) keeps the env the version was deployed with, when the host has it."""
    target = cron_target(config)
    if target is None:
        return []
    return [_switch(config, role, secrets, keep_existing) for role in target.roles]


def _switch(
    config: Config, role: str, secrets: Mapping[str, str], keep_existing: bool
) -> PointerSwitch:
    name = f"{config.proxy_service_name(role)}-cron-{config.version}"
    run = exec_container(config, config.role(role), config.absolute_image, secrets, name)
    c = run.container
    path = c.env_file or ""
    switch = switch_release(config.service_and_destination, role, config.version, c.image,
                            release_env(c), path, keep_existing=keep_existing)  # fmt: skip
    written = all_of(make_dirs(path.rsplit("/", 1)[0]), write_stdin(path), switch)
    return PointerSwitch(role, removing_on_exit(path, Raw(written.render())), run.env_file)

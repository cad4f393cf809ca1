"""Kamal's hooks: executables in .kamal/hooks (or hooks_path), run on the deploying machine.

Each gets Kamal's KAMAL_* variables (and DOCKYARD_* twins); a non-zero exit stops the command.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.errors import HookError


@dataclass(frozen=True)
class HookContext:
    service: str
    version: str
    performer: str
    command: str
    subcommand: str = ""
    destination: str | None = None
    hosts: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    lock: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)  # e.g. KAMAL_RUNTIME, secrets

    def env(self) -> dict[str, str]:
        tags = {
            "RECORDED_AT": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "PERFORMER": self.performer,
            "VERSION": self.version,
            "SERVICE_VERSION": f"{self.service}@{self.version[:7]}",
            "SERVICE": self.service,
            "HOSTS": ",".join(self.hosts),
            "COMMAND": self.command,
            "SUBCOMMAND": self.subcommand,
            "LOCK": "true" if self.lock else "false",
        }
        if self.destination:
            tags["DESTINATION"] = self.destination
        if self.roles:
            tags["ROLES"] = ",".join(self.roles)
        env = {f"KAMAL_{k}": v for k, v in tags.items()}
        env.update({f"DOCKYARD_{k}": v for k, v in tags.items()})
        env.update(self.extra)
        return env


async def run_hook(
    hooks_path: Path, name: str, context: HookContext, *, skip: bool = False
) -> bool:
    """Run the hook if it exists; False when there is none (or hooks are skipped)."""
    hook = hooks_path / name
    if skip or not hook.is_file():
        return False
    if not os.access(hook, os.X_OK):
        raise HookError(f"hook {hook} is not executable; run: chmod +x {hook}")
    process = await asyncio.create_subprocess_exec(
        str(hook),
        env={**os.environ, **context.env()},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        last = " / ".join(output.decode(errors="replace").strip().splitlines()[-3:])
        raise HookError(
            f"hook {name} exited {process.returncode}: {last or 'no output'}; "
            "fix it, or skip hooks with -H/--skip-hooks"
        )
    return True

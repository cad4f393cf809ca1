"""Commands for `app exec` (pure): a command in a new container of the app's image, or in the
container of a role that runs now. The user's command is shell text, as with Kamal: the remote
shell splits it, so `bin/rails runner 'puts 1'` means what it says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dockyard.commands.app import AppContainer, label_filters
from dockyard.commands.base import HomePath, Raw, cmd
from dockyard.engine import Engine
from dockyard.errors import UsageError


def in_new_container(
    engine: Engine,
    c: AppContainer,
    name: str,
    command: str,
    *,
    env: Mapping[str, str] | None = None,
    interactive: bool = False,
    detach: bool = False,
) -> Raw:
    """`run` a one-off container from the app's image, with the role's env and env file; it is
    removed when the command ends (kept when detached, so its logs can be read)."""
    base = cmd(
        engine.name, "run", "--name", name, "--network", c.network,
        None if detach else "--rm",
        "--detach" if detach else None,
        "--interactive" if interactive else None,
        "--tty" if interactive else None,
        *_env_args({**c.env, **(env or {})}),
        *(["--env-file", HomePath(c.env_file)] if c.env_file else []),
        *[a for v in c.volumes for a in ("--volume", v)],
        c.image,
    )  # fmt: skip
    return Raw(f"{base.render()} {command}")


def removing_on_exit(path: str, command: Raw) -> Raw:
    """`command`, the file at `path` (under the home) removed when the shell that runs it exits,
    however it ends: the trap is set before the user's shell text, which may hold anything. The
    engine reads `--env-file` when it creates the container, so a detached one keeps its env."""
    if "'" in path:
        raise ValueError(f"a quote in a path dockyard builds: {path!r}")
    target = cmd("rm", "-f", HomePath(path)).render()
    return Raw(f"trap '{target}' EXIT; {command.render()}")


def in_running_container(
    engine: Engine,
    service: str,
    role: str,
    destination: str | None,
    command: str,
    *,
    env: Mapping[str, str] | None = None,
    interactive: bool = False,
) -> Raw:
    """`exec` in the newest running container of the role on this host."""
    filters = cmd(*label_filters(service, role, destination), "--filter", "status=running").render()
    flags = cmd(
        "--interactive" if interactive else None,
        "--tty" if interactive else None,
        *_env_args(env or {}),
    ).render()
    newest = f"$({engine.name} ps --latest --quiet {filters})"
    return Raw(" ".join(part for part in (engine.name, "exec", flags, newest, command) if part))


def _env_args(env: Mapping[str, str]) -> Sequence[str]:
    return [a for k, v in env.items() for a in ("--env", f"{k}={v}")]


def parse_env(pairs: Sequence[str]) -> dict[str, str]:
    """`-e KEY=VALUE` options."""
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"-e {pair!r} is not KEY=VALUE; write it as -e NAME=value")
        env[key] = value
    return env

"""Building the app image: pack the context here, build on the builder host (or this machine).

    archive = pack_context(root, builder_settings)      # a clean git HEAD, or the working tree
    kind = await build_on_host(transport, host, engine, spec, archive, secrets)

By default the context is `git archive HEAD` (Kamal builds a clean clone of HEAD: uncommitted
changes are not shipped, and `uncommitted_changes` says so); `builder.context` builds the working
tree instead. The archive goes up in one atomic upload, is unpacked in a fresh dir on the builder,
built there and removed whatever happened. Secrets go in on standard input.
"""

from __future__ import annotations

import asyncio
import io
import os
import platform
import re
import secrets as random_tokens
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from dockyard.commands import build as commands
from dockyard.config.settings import Builder
from dockyard.engine import Engine
from dockyard.errors import BuildError, CommandFailed, Result
from dockyard.loading.version import COMMIT_FIRST, git_state
from dockyard.plan.build import TreeChanges, tree_changes
from dockyard.redaction import Secret
from dockyard.ssh.transport import UNBOUNDED, Transport

Warn = Callable[[str], None]  # one line about a setting the builder cannot honour


def _unheard(line: str) -> None:
    pass


SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ERROR_LINES = 12


def uncommitted_changes(root: Path) -> bool:
    return bool(_git(root, "status", "--porcelain").strip())


def working_tree_changes(root: Path) -> TreeChanges:
    """Changed and untracked files of the working tree (none outside a git repo)."""
    if not _git_ok(root, "rev-parse", "--is-inside-work-tree"):
        return TreeChanges((), ())
    return tree_changes(_git(root, "status", "--porcelain", "--untracked-files=all", "."))


def pack_working_tree(root: Path, builder: Builder) -> bytes:
    """The working tree as a .tar.gz (`.git` left out), uncommitted changes included."""
    if not (root / builder.dockerfile).is_file():
        raise BuildError(
            f"{builder.dockerfile} not found in {root}; add it, or set builder.dockerfile to "
            "its path"
        )
    return _tar_tree(root)


def pack_context(root: Path, builder: Builder) -> bytes:
    """The build context as a .tar.gz: HEAD of the git repo (default) or the working tree."""
    if builder.git_clone:
        if not _git_ok(root, "rev-parse", "--verify", "--quiet", "HEAD"):
            raise BuildError(_nothing_committed(root))
        prefix = _git(root, "rev-parse", "--show-prefix").strip()
        if not _git_ok(root, "cat-file", "-e", f"HEAD:{prefix}{builder.dockerfile}"):
            raise BuildError(
                f"{builder.dockerfile} is not in the git HEAD (dockyard builds a clean copy of "
                "HEAD); commit it, set builder.dockerfile to its path, or set builder.context: ."
            )
        return _git_bytes(root, "archive", "--format=tar.gz", f"HEAD:{prefix}")
    return pack_working_tree(root, builder)


def _nothing_committed(root: Path) -> str:
    """Why there is no git HEAD to build, and what to do."""
    state = git_state(root)
    built = "dockyard builds a clean copy of the git HEAD"
    working_tree = "or set builder.context: . to build the working tree"
    if state == "no git":
        return f"{built}, and git is not installed: install git, {working_tree}"
    if state == "no repository":
        return (
            f"{built}, and {root} is not in a git repository: run `git init`, then commit "
            f"your app ({COMMIT_FIRST}), {working_tree}"
        )
    return (
        f"{built}, and the git repository of {root} has no commit yet: commit first "
        f"({COMMIT_FIRST}), {working_tree}"
    )


def _tar_tree(root: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as archive:
        for path in sorted(root.iterdir()):
            if path.name != ".git":
                archive.add(path, arcname=path.name)
    return buffer.getvalue()


async def probe_builder(transport: Transport, host: str, engine: Engine) -> tuple[str, str]:
    """(kind, machine) of the builder host; an error that names the fixes when it has none."""
    lines = (await transport.run(host, commands.probe(engine))).stdout.split()
    kind, machine = [*lines, "none", "unknown"][:2]
    if kind == "none":
        raise BuildError(
            f"{host}: the builder has no working {engine.name}; install it there, or point "
            "builder.remote at a host that has one"
        )
    return kind, machine


async def build_on_host(
    transport: Transport,
    host: str,
    engine: Engine,
    spec: commands.BuildSpec,
    archive: bytes,
    secret_values: Mapping[str, Secret],
    warn: Warn = _unheard,
) -> Result:
    """Upload the context and build on `host`; a failing build raises with its own error lines.
    Settings this builder cannot honour are told to `warn`, once each, before the build."""
    kind, machine = await probe_builder(transport, host, engine)
    token = random_tokens.token_hex(6)
    command = commands.build_in_context(token, commands.build(kind, spec, machine), spec.secrets)
    for line in commands.ignored_settings(kind, spec):
        warn(line)
    await transport.upload(host, archive, commands.context_archive(token), timeout=UNBOUNDED)
    try:
        secrets = _secret_input(spec, secret_values)
        return await transport.run(host, command, input=secrets, timeout=UNBOUNDED)
    except CommandFailed as failed:
        raise build_failed(host, failed.result) from None


def _secret_input(spec: commands.BuildSpec, values: Mapping[str, Secret]) -> str | None:
    for name in spec.secrets:
        if not SECRET_NAME.match(name):
            raise BuildError(f"builder/secrets: {name!r} is not a valid secret name")
        if "\n" in values[name]:
            raise BuildError(
                f"builder/secrets: {name} has a line break; build secrets are one line"
            )
    return Secret("".join(f"{values[name]}\n" for name in spec.secrets)) if spec.secrets else None


def build_failed(host: str, result: Result) -> BuildError:
    """The build's own last error lines, kept on the error (the printer shows them)."""
    output = (result.stderr + "\n" + result.stdout).strip().splitlines()
    meaningful = [line for line in output if line.strip() and "DEPRECATED" not in line]
    tail = meaningful[-ERROR_LINES:]
    last = next(
        (line for line in reversed(tail) if "error" in line.lower()), tail[-1] if tail else ""
    )
    return BuildError(
        f"{host}: the build failed: {last.strip()}; fix the Dockerfile or the context",
        logs="\n".join(tail),
    )


async def build_locally(
    engine: Engine,
    spec: commands.BuildSpec,
    archive: bytes,
    secret_values: Mapping[str, Secret],
    warn: Warn = _unheard,
) -> None:
    """The same build with this machine's engine, in a temp dir."""
    kind = await asyncio.to_thread(local_kind, engine)
    command = commands.build(kind, spec, local_machine())
    for line in commands.ignored_settings(kind, spec):
        warn(line)
    with tempfile.TemporaryDirectory(prefix="dockyard-build-") as directory:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as context:
            context.extractall(directory, filter="data")
        env = {name: str(value) for name, value in secret_values.items() if name in spec.secrets}
        done = await asyncio.to_thread(
            subprocess.run, list(command.argv), cwd=directory, capture_output=True, text=True,
            env={**_base_env(), **env},
        )  # fmt: skip
    if done.returncode != 0:
        result = Result(
            "local", command.render(redact=True), done.returncode, done.stdout, done.stderr
        )
        raise build_failed("local", result)


def local_kind(engine: Engine) -> str:
    done = subprocess.run(
        ["sh", "-c", commands.probe(engine).render()], capture_output=True, text=True
    )
    kind = (done.stdout.split() or ["none"])[0]
    if kind == "none":
        raise BuildError(
            f"this machine has no working {engine.name} to build with; install {engine.name} "
            "here, or set builder.remote: ssh://user@host to build on a host that has one"
        )
    return kind


def local_machine() -> str:
    return platform.machine()


def _base_env() -> dict[str, str]:
    return dict(os.environ)


def _git_ok(root: Path, *args: str) -> bool:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True).returncode == 0
    except FileNotFoundError:  # no git: the caller says what that means
        return False


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if done.returncode != 0:
        raise BuildError(
            f"`git {' '.join(args)}` failed in {root}: {done.stderr.strip()}; dockyard builds a "
            "clean copy of the git HEAD: commit first, or set builder.context: . to build the "
            "working tree"
        )
    return done.stdout


def _git_bytes(root: Path, *args: str) -> bytes:
    done = subprocess.run(["git", *args], cwd=root, capture_output=True)
    if done.returncode != 0:
        raise BuildError(f"`git {' '.join(args)}` failed in {root}: {done.stderr.decode().strip()}")
    return done.stdout

"""Build commands (pure): probe the builder, build from an uploaded context, push, clean up.

Engines: `docker buildx build` (BuildKit) where buildx is installed; plain `docker build` where
it is not (Debian's docker.io: its CLI refuses BuildKit without buildx, so this is the classic
builder, which has no build secrets); `podman build` (buildah: secrets, several arches).
Build secrets reach the build as BuildKit/buildah secrets read from the environment (`--secret
id=NAME,env=NAME`); the values come in on standard input, never on a command line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from dockyard.commands.base import Cmd, HomePath, Raw, cmd, repeat
from dockyard.engine import Engine
from dockyard.errors import BuildError

KINDS = ("buildx", "docker", "podman")
ARCHES = ("amd64", "arm64", "arm", "arm/v6", "arm/v7", "386", "ppc64le", "s390x", "riscv64")
MACHINE_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm/v7", "i686": "386"}


@dataclass(frozen=True)
class BuildSpec:
    """One image build, as the engine's command line needs it."""

    tags: tuple[str, ...]
    service: str
    dockerfile: str = "Dockerfile"
    context: str = "."
    arches: tuple[str, ...] = ("amd64",)
    target: str | None = None
    args: Mapping[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    ssh: str | None = None
    no_cache: bool = False
    cache_from: str | None = None
    cache_to: str | None = None
    provenance: str | None = None
    sbom: bool | None = None


def probe(engine: Engine) -> Raw:
    """Which kind of builder the host has, and its machine arch: two lines (and the dir the
    context is uploaded to)."""
    name = engine.name
    if engine.buildx_plugin:
        kind = (
            f"if {name} buildx version >/dev/null 2>&1; then echo buildx; "
            f"elif {name} version >/dev/null 2>&1; then echo {name}; else echo none; fi"
        )
    else:
        kind = f"if command -v {name} >/dev/null 2>&1; then echo {name}; else echo none; fi"
    return Raw(f'mkdir -p "$HOME/.dockyard"; {kind}; uname -m')


def check_arches(arches: Sequence[str]) -> tuple[str, ...]:
    unknown = [arch for arch in arches if arch not in ARCHES]
    if unknown:
        raise BuildError(
            f"builder/arch: unknown arch {unknown[0]!r}; use one of {', '.join(ARCHES)}"
        )
    return tuple(arches)


def build(kind: str, spec: BuildSpec, machine: str) -> Cmd:
    """The engine's build command for the spec, run in the unpacked context's root."""
    if kind not in KINDS:
        raise ValueError(f"unknown builder kind {kind!r}")
    native = MACHINE_ARCH.get(machine, machine)
    if kind == "docker":
        _classic_limits(spec, native)
    platforms = ",".join(f"linux/{arch}" for arch in spec.arches)
    program = ("docker", "buildx", "build") if kind == "buildx" else (kind, "build")
    options = [
        *repeat("--tag", spec.tags),
        "--label",
        f"service={spec.service}",
        "--file",
        spec.dockerfile,
        *(["--platform", platforms] if kind != "docker" else []),
        *(["--load"] if kind == "buildx" else []),
        *(["--target", spec.target] if spec.target else []),
        *repeat("--build-arg", (f"{k}={v}" for k, v in spec.args.items())),
        *repeat("--secret", (f"id={name},env={name}" for name in spec.secrets)),
        *(["--no-cache"] if spec.no_cache else []),
        *_buildkit_options(kind, spec),
    ]
    return cmd(*program, *options, spec.context)


def _classic_limits(spec: BuildSpec, native: str) -> None:
    hint = "install docker-buildx on the builder, or build with podman (x-dockyard.runtime)"
    if spec.secrets:
        raise BuildError(f"build secrets need BuildKit, which this docker has not; {hint}")
    if spec.arches != (native,):
        raise BuildError(
            f"this builder ({native}) cannot build for {', '.join(spec.arches)} without "
            f"BuildKit; {hint}, or set builder.remote to a {spec.arches[0]} host"
        )


BUILDKIT_ONLY: dict[str, Callable[[BuildSpec], bool]] = {
    "builder/cache": lambda spec: spec.cache_from is not None or spec.cache_to is not None,
    "builder/provenance": lambda spec: spec.provenance is not None,
    "builder/sbom": lambda spec: spec.sbom is not None,
}
CLASSIC_HINT = "install docker-buildx there (Debian: apt-get install docker-buildx)"


def ignored_settings(kind: str, spec: BuildSpec) -> tuple[str, ...]:
    """The builder settings this kind of builder cannot honour, each with what to do: BuildKit's
    cache exports, attestations and (classic builder only) SSH forwarding."""
    if kind == "buildx":
        return ()
    found = [key for key, used in BUILDKIT_ONLY.items() if used(spec)]
    if kind == "docker":
        found += ["builder/ssh"] if spec.ssh else []
        return tuple(
            f"{key} is ignored: the classic docker builder (no buildx) cannot use it; "
            f"{CLASSIC_HINT}, or remove {key}"
            for key in found
        )
    return tuple(
        f"{key} is ignored: podman builds without BuildKit (its own layer cache, no "
        f"attestations); build with docker and buildx for it, or remove {key}"
        for key in found
    )


def _buildkit_options(kind: str, spec: BuildSpec) -> list[str]:
    if kind != "buildx":
        return ["--ssh", spec.ssh] if spec.ssh and kind == "podman" else []
    return [
        *(["--ssh", spec.ssh] if spec.ssh else []),
        *(["--cache-from", spec.cache_from] if spec.cache_from else []),
        *(["--cache-to", spec.cache_to] if spec.cache_to else []),
        *([f"--provenance={spec.provenance}"] if spec.provenance is not None else []),
        *([f"--sbom={str(spec.sbom).lower()}"] if spec.sbom is not None else []),
    ]


def build_dir(token: str) -> str:
    return f".dockyard/build-{token}"


def context_archive(token: str) -> str:
    return f"{build_dir(token)}.tar.gz"


def build_in_context(token: str, build_command: Cmd, secrets: Sequence[str]) -> Raw:
    """Unpack the uploaded context, read the secrets from stdin into the environment, build,
    then remove the context whatever happened."""
    directory = f'"$HOME/{HomePath(build_dir(token))}"'
    archive = f'"$HOME/{HomePath(context_archive(token))}"'
    reads = "".join(f"IFS= read -r {name} && export {name} && " for name in secrets)
    steps = (
        f"mkdir -p {directory} && tar -xzf {archive} -C {directory} && cd {directory} && "
        f"{reads}{build_command.render()}"
    )
    return Raw(f"( {steps} ); status=$?; rm -rf {directory} {archive}; exit $status")


def push(engine: Engine, image: str, *, plain_http: bool = False) -> Cmd:
    """`plain_http`: a registry without TLS that podman must be told of (docker trusts
    localhost and the registries its daemon.json names)."""
    tls = engine.insecure_registry_flags if plain_http else ()
    return cmd(engine.name, "push", *tls, image)


def service_label(engine: Engine, image: str) -> Cmd:
    return cmd(
        engine.name, "image", "inspect", "--format", '{{index .Config.Labels "service"}}', image
    )


def remove_image(engine: Engine, images: Sequence[str]) -> Cmd:
    return cmd(engine.name, "image", "rm", "--force", *images)

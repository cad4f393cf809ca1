"""The container engine on the servers: Docker or Podman.

Their command lines agree on nearly everything dockyard runs (`run`, `ps`, `inspect`, `logs`,
`network`, `save`/`load`...). Every way they differ is an attribute of `Engine`, read by the
command builders and the workflows; nothing else compares engine names.

    engine = engine_named(config.runtime_name)       # DOCKER or PODMAN
    cmd(engine.name, "ps", *engine.oldest_first_flags)

A leaf module: config, commands and workflows all use it, and it uses nothing of dockyard.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EngineName = Literal["docker", "podman"]


@dataclass(frozen=True)
class Engine:
    name: EngineName
    debian_package: str  # what `server bootstrap` installs with apt
    # `ps --filter status=...` values of a container that is not running (Podman has no `dead`)
    stopped_states: tuple[str, ...]
    # `ps --filter status=...` values of a container that is up (Kamal's: running, restarting;
    # Podman refuses `restarting`: a container it restarts shows as running)
    active_states: tuple[str, ...]
    # `inspect` template of a container's finish and creation times, as text that sorts in time
    # order (Docker's are RFC 3339 strings; Podman's are Go times, formatted so)
    container_times_template: str
    # pull/push flags for a registry without TLS on loopback (Docker trusts localhost)
    insecure_registry_flags: tuple[str, ...]
    # a HEALTHCHECK runs by itself (Docker's daemon); Podman schedules it with systemd timers,
    # so without systemd dockyard runs each check (`podman healthcheck run`)
    runs_health_checks: bool
    # netavark leaves the bridge's MAC unset: dockyard pins it once the proxy joined the network
    pins_bridge_address: bool
    # `image inspect` knows the image's storage driver and upper dir (Docker's overlay2)
    reports_image_storage: bool
    # builds may go through the buildx plugin, where the host has it (else the classic builder)
    buildx_plugin: bool
    # after a reboot, its containers with a restart policy run again by themselves (Docker's
    # daemon starts them); Podman has no daemon, and its podman-restart.service starts only
    # `always` ones: dockyard's `unless-stopped` containers need a crontab line (setup)
    starts_containers_at_boot: bool

    def __str__(self) -> str:
        return self.name


DOCKER = Engine(
    name="docker",
    debian_package="docker.io",
    stopped_states=("created", "exited", "dead"),
    active_states=("running", "restarting"),
    container_times_template="{{.State.FinishedAt}} {{.Created}}",
    insecure_registry_flags=(),
    runs_health_checks=True,
    pins_bridge_address=False,
    reports_image_storage=True,
    buildx_plugin=True,
    starts_containers_at_boot=True,
)

PODMAN = Engine(
    name="podman",
    debian_package="podman",
    stopped_states=("created", "exited"),
    active_states=("running",),
    container_times_template=(
        '{{.State.FinishedAt.UTC.Format "2006-01-02T15:04:05.000000000Z"}} '
        '{{.Created.UTC.Format "2006-01-02T15:04:05.000000000Z"}}'
    ),
    insecure_registry_flags=("--tls-verify=false",),
    runs_health_checks=False,
    pins_bridge_address=True,
    reports_image_storage=False,
    buildx_plugin=False,
    starts_containers_at_boot=False,
)

ENGINES: dict[str, Engine] = {engine.name: engine for engine in (DOCKER, PODMAN)}


def engine_named(name: str) -> Engine:
    """The engine called `name` (the config's `x-dockyard.runtime`, validated at load time)."""
    try:
        return ENGINES[name]
    except KeyError:
        raise ValueError(f"unknown container engine {name!r}; use docker or podman") from None

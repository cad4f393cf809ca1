"""Commands for the app's containers (pure). `engine` is Docker or Podman (dockyard.engine):
their CLIs agree on everything used here; where they differ, the Engine says how."""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dockyard.commands.base import (
    Cmd,
    HomePath,
    Raw,
    Seq,
    all_of,
    any_of,
    cmd,
    repeat,
    write_stdin,
)
from dockyard.engine import Engine
from dockyard.redaction import Secret

NETWORK = "kamal"  # Kamal's network name, so servers deployed by Kamal can be taken over
# in the name a container gets when a redeploy of its version sets it aside (Kamal's name)
REPLACED = "_replaced_"


@dataclass(frozen=True)
class AppContainer:
    """Everything `run` needs to start one container of one role."""

    name: str  # <service>-<role>[-<destination>]-<version>
    image: str  # repository:version
    hostname: str
    labels: Mapping[str, str]
    env: Mapping[str, str] = field(default_factory=dict)  # clear env, incl. KAMAL_* variables
    env_file: str | None = None  # relative to the remote home; holds the secrets (0600)
    volumes: Sequence[str] = ()
    options: Sequence[str] = ()  # extra `--flag value` arguments, already split
    log_options: Sequence[str] = ()
    command: Sequence[str] = ()
    restart: str = "unless-stopped"
    network: str = NETWORK
    network_alias: str | None = None  # the proxy slot it takes (see caddy_config)


def run(engine: Engine, c: AppContainer) -> Cmd:
    return cmd(
        engine.name, "run", "--detach", "--restart", c.restart, "--name", c.name,
        "--network", c.network,
        *(["--network-alias", c.network_alias] if c.network_alias else []),
        "--hostname", c.hostname,
        *[a for k, v in c.env.items() for a in ("--env", _env_pair(k, v))],
        *(["--env-file", HomePath(c.env_file)] if c.env_file else []),
        *c.log_options,
        *repeat("--volume", c.volumes),
        *[a for k, v in c.labels.items() for a in ("--label", f"{k}={v}")],
        *c.options,
        c.image,
        *c.command,
    )  # fmt: skip


def _env_pair(name: str, value: str) -> str:
    # A secret keeps its type through the `NAME=value` pair, so logs show [REDACTED].
    pair = f"{name}={value}"
    return Secret(pair) if isinstance(value, Secret) else pair


def label_filters(
    service: str, role: str | None = None, destination: str | None = None
) -> list[str]:
    filters = ["--filter", f"label=service={service}"]
    if role:
        filters += ["--filter", f"label=role={role}"]
    if destination:
        filters += ["--filter", f"label=destination={destination}"]
    return filters


def list_containers(engine: Engine, filters: Sequence[str]) -> Cmd:
    """Name, state, creation time and short id of each matching container, tab-separated."""
    return cmd(
        engine.name, "ps", "--all", *filters,
        "--format", "{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.ID}}",
    )  # fmt: skip


def inspect_state(engine: Engine, name: str, network: str = NETWORK) -> Cmd:
    """State, health and address on the network of one container, tab-separated."""
    template = (
        "{{.State.Status}}\t{{if .State.Health}}{{.State.Health.Status}}{{end}}\t"
        f'{{{{with index .NetworkSettings.Networks "{network}"}}}}{{{{.IPAddress}}}}{{{{end}}}}'
    )
    return cmd(engine.name, "inspect", "--format", template, name)


def inspect_aliases(engine: Engine, *names: str, network: str = NETWORK) -> Cmd:
    """Each container's network aliases on the network, space-separated, a line each."""
    template = (
        f'{{{{with index .NetworkSettings.Networks "{network}"}}}}'
        "{{range .Aliases}}{{.}} {{end}}{{end}}"
    )
    return cmd(engine.name, "inspect", "--type", "container", "--format", template, *names)


def rename(engine: Engine, old: str, new: str) -> Cmd:
    return cmd(engine.name, "rename", old, new)


def start(engine: Engine, name: str) -> Cmd:
    return cmd(engine.name, "start", name)


def start_in_slot(engine: Engine, name: str, alias: str, network: str = NETWORK) -> Seq:
    """Start a stopped container under this network alias (its proxy slot): it is connected
    again, so whatever alias it had before is dropped. Both engines allow this while stopped."""
    disconnect = f"{engine.name} network disconnect {shlex.quote(network)} {shlex.quote(name)}"
    return all_of(
        any_of(Raw(f"{disconnect} 2>/dev/null"), Raw("true")),
        cmd(engine.name, "network", "connect", "--alias", alias, network, name),
        cmd(engine.name, "start", name),
    )  # fmt: skip


def stop(engine: Engine, *names: str, timeout: int | None = None) -> Cmd:
    return cmd(engine.name, "stop", *(["-t", str(timeout)] if timeout is not None else []), *names)


STOPPED, REMOVED = "stopped", "removed"


def stop_for_good(engine: Engine, name: str, timeout: int = 1) -> Raw:
    """Stop a container that failed its boot, and make sure it stays stopped: prints STOPPED,
    or REMOVED when its restart count still grew a second after the stop, or it runs again.
    Podman 4.3 keeps restarting a container whose process exits at once (restart policy) after
    `podman stop` (containers/podman#18259, fixed in 4.5); only removing it ends the loop."""
    e, n = engine.name, shlex.quote(name)
    count = f"{e} inspect --format '{{{{.RestartCount}}}} {{{{.State.Status}}}}' {n}"
    return Raw(
        f"{e} stop -t {timeout} {n} >/dev/null && before=$({count}) && sleep 1 && "
        f"after=$({count}) && "
        f'if [ "$before" = "$after" ] && [ "${{after#* }}" = exited ]; then echo {STOPPED}; '
        f"else {e} rm --force {n} >/dev/null && echo {REMOVED}; fi"
    )


def remove(engine: Engine, name: str) -> Cmd:
    return cmd(engine.name, "rm", "--force", name)


def logs(engine: Engine, name: str, *, lines: int | None = 100, since: str | None = None) -> Cmd:
    return cmd(
        engine.name, "logs", *(["--tail", str(lines)] if lines else []),
        *(["--since", since] if since else []), name,
    )  # fmt: skip


def run_health_check(engine: Engine, name: str) -> Cmd:
    """Run the container's HEALTHCHECK once (for an engine that does not run it by itself)."""
    return cmd(engine.name, "healthcheck", "run", name)


def tag(engine: Engine, image: str, new: str) -> Cmd:
    return cmd(engine.name, "tag", image, new)


def pull(engine: Engine, image: str) -> Cmd:
    return cmd(engine.name, "pull", "--quiet", image)


def image_service_label(engine: Engine, image: str) -> Cmd:
    return cmd(
        engine.name,
        "image",
        "inspect",
        "--format",
        'service={{index .Config.Labels "service"}}',
        image,
    )


def ensure_network(engine: Engine, network: str = NETWORK) -> Seq:
    return any_of(
        Raw(f"{engine.name} network inspect {shlex.quote(network)} >/dev/null 2>&1"),
        cmd(engine.name, "network", "create", network),
    )


def pin_bridge_address(network: str = NETWORK) -> Raw:
    """Podman (netavark 1.4) leaves its bridge's MAC unset, so the kernel gives the bridge the
    lowest MAC of its ports: it changes whenever a container joins or leaves, and replies sent
    to the old gateway MAC are lost until ARP catches up (requests time out during a deploy).
    Setting the bridge's current address pins it (addr_assign_type 3); Docker does the same.
    The bridge exists once a container joined the network: run this after the proxy started."""
    return Raw(
        f"dev=$(podman network inspect {network} --format '{{{{.NetworkInterface}}}}') && "
        '{ [ ! -e "/sys/class/net/$dev" ] || '
        '[ "$(cat "/sys/class/net/$dev/addr_assign_type")" = 3 ] || '
        'ip link set dev "$dev" address "$(cat "/sys/class/net/$dev/address")"; }'
    )


RUN_MARKER = "--- dockyard: run ---"


def list_then_run(
    engine: Engine, c: AppContainer, filters: Sequence[str], env_dir: str, aside: str
) -> Seq:
    """One round trip for a boot: the role's containers (as list_containers prints them), a
    marker line, then the new container's id and its state (as inspect_state prints it). A
    container that already has the new name (a redeploy of the same version) is renamed to
    `aside` first, as Kamal does; the env file arrives on standard input (0600). The network
    is created where it is missing (a fresh server whose app has no proxied role)."""
    name = shlex.quote(c.name)
    set_aside = Raw(
        f"{{ ! {engine.name} container inspect {name} >/dev/null 2>&1 || "
        f"{engine.name} rename {name} {shlex.quote(aside)}; }}"
    )
    env = [write_stdin(c.env_file)] if c.env_file else []
    slot = [release_alias(engine, filters, c.network_alias, c.network)] if c.network_alias else []
    return all_of(
        make_dirs(env_dir), list_containers(engine, filters), cmd("echo", RUN_MARKER), set_aside,
        *slot, *env, ensure_network(engine, c.network), run(engine, c),
        inspect_state(engine, c.name, c.network),
    )  # fmt: skip


def release_alias(
    engine: Engine, filters: Sequence[str], alias: str, network: str = NETWORK
) -> Raw:
    """Disconnect any running container of the role that still holds this (free) slot's alias,
    so the new container is the only one behind it: a deploy killed before its switch leaves
    its new container running there. Nothing is routed to a free slot, so nothing is cut."""
    template = shlex.quote(
        f'{{{{with index .NetworkSettings.Networks "{network}"}}}}'
        "{{range .Aliases}}{{.}} {{end}}{{end}}"
    )
    listing = " ".join(shlex.quote(f) for f in filters)
    disconnect = f'{engine.name} network disconnect {shlex.quote(network)} "$id" >/dev/null'
    return Raw(
        f"for id in $({engine.name} ps --quiet {listing}); do "
        f'case " $({engine.name} inspect --format {template} "$id") " in '
        f'*" {alias} "*) {disconnect};; esac; done'
    )


def make_dirs(*paths: str) -> Cmd:
    return cmd("mkdir", "-p", *(HomePath(p) for p in paths))


def audit_log(service: str, destination: str | None) -> str:
    """The audit log of an app on a server, relative to the home."""
    return f".dockyard/{service}" + (f"-{destination}" if destination else "") + "-audit.log"


def audit_tail(log_file: str, lines: int = 50) -> Cmd:
    """The last lines of an audit log (see audit_log)."""
    return cmd("tail", "-n", str(lines), HomePath(log_file))


def images(engine: Engine, service: str) -> Cmd:
    """The service's images, `repository:tag size` a line each."""
    return cmd(
        engine.name, "images", "--filter", f"label=service={service}",
        "--format", "{{.Repository}}:{{.Tag}} {{.Size}}",
    )  # fmt: skip


def audit(log_file: str, line: str) -> Seq:
    return all_of(
        make_dirs(log_file.rsplit("/", 1)[0]),
        Raw(f'echo {shlex.quote(line)} >> "$HOME/{HomePath(log_file)}"'),
    )

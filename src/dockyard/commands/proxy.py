"""Commands for the proxy container, `dockyard-proxy` (pure).

The server's ~/.dockyard/proxy is mounted at /dockyard in the container: it holds the admin
socket, the derived caddy.json the container starts from (so a restart comes back with every
route without dockyard connected), one route file per app under routes/, and under live/ the
file that says which of a route's two slots serves (see caddy_config).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.commands.app import NETWORK
from dockyard.commands.base import (
    Cmd,
    Command,
    HomePath,
    Raw,
    Seq,
    all_of,
    any_of,
    cmd,
    pipe,
    write_stdin,
)
from dockyard.commands.caddy_config import ADMIN_DIR, AppRoute, drained_flag, live_flag
from dockyard.engine import Engine

CONTAINER = "dockyard-proxy"
STATE_DIR = ".dockyard/proxy"
ROUTES_DIR = f"{STATE_DIR}/routes"
CONFIG_FILE = f"{STATE_DIR}/caddy.json"
LIVE_DIR = f"{STATE_DIR}/live"
DATA_VOLUME = "dockyard-proxy-data"  # certificates and ACME accounts survive a reboot
# Seconds Caddy's resolver waits for a DNS reply (resolv.conf `timeout`, 5 by default). Podman's
# aardvark-dns loses its queued queries whenever a container joins or leaves the network, and Go
# shares one lookup per name among concurrent dials without cancelling it when they give up: at
# 5 s, every request dialing that name failed for longer than Caddy retries (docs/lab.md).
RESOLVER_TIMEOUT = 1


@dataclass(frozen=True)
class ProxyContainer:
    image: str
    publish: Sequence[str] = ("80:80", "443:443", "443:443/udp")
    options: Sequence[str] = ()
    log_max_size: str = "10m"
    network: str = NETWORK


def run(engine: Engine, p: ProxyContainer) -> Cmd:
    return cmd(
        engine.name, "run", "--detach", "--restart", "unless-stopped", "--name", CONTAINER,
        "--network", p.network,
        *[a for port in p.publish for a in ("--publish", port)],
        "--volume", HomePath(f"{STATE_DIR}:{ADMIN_DIR}"),
        "--volume", f"{DATA_VOLUME}:/data",
        "--env", "XDG_DATA_HOME=/data", "--env", "XDG_CONFIG_HOME=/data/config",
        "--log-opt", f"max-size={p.log_max_size}",
        "--label", "dockyard=proxy",
        "--dns-option", f"timeout:{RESOLVER_TIMEOUT}",
        *p.options,
        "--entrypoint", "caddy",
        p.image, "run", "--config", f"{ADMIN_DIR}/caddy.json",
    )  # fmt: skip


def start_or_run(engine: Engine, p: ProxyContainer) -> Seq:
    return any_of(cmd(engine.name, "start", CONTAINER), run(engine, p))


def read_state(engine: Engine, write: str | None = None, before: Sequence[Command] = ()) -> Seq:
    """In one round trip, NUL-separated: the remote home, the current caddy.json (empty when
    there is none), whether the proxy container is running, the routes whose slot b is live
    (one name per line), then every app's route file.

    With `write`, standard input is first written to that file (0600, atomically), so a route
    or config is saved and the state read back in the same round trip; `before` runs first.
    """
    steps: list[Command] = [
        cmd("mkdir", "-p", "-m", "0700", HomePath(".dockyard")),
        cmd("mkdir", "-p", HomePath(ROUTES_DIR), HomePath(LIVE_DIR)),
    ]
    if write is not None:
        steps.append(write_stdin(write))
    steps += [
        *before,
        Raw('printf "%s\\0" "$HOME"'),
        Raw(f'{{ cat "$HOME/{HomePath(CONFIG_FILE)}" 2>/dev/null; printf "\\0"; }}'),
        Raw(f"{{ {engine.name} inspect --format '{{{{.State.Running}}}}' {CONTAINER} 2>/dev/null "
            '|| echo missing; printf "\\0"; }'),
        Raw(f'{{ ( cd "$HOME/{HomePath(LIVE_DIR)}" && for f in *.b; do '
            '[ ! -e "$f" ] || echo "${f%.b}"; done ); printf "\\0"; }'),
        cmd("find", HomePath(ROUTES_DIR), "-maxdepth", "1", "-name", "*.json",
            "-exec", "cat", "{}", ";", "-exec", "printf", "\\0", ";"),
    ]  # fmt: skip
    return all_of(*steps)


def read_routes() -> Seq:
    """Every app's route file, NUL-separated, read without creating anything: nothing when
    the proxy was never set up on the server (what is checked before anything changes)."""
    routes = HomePath(ROUTES_DIR)
    return any_of(
        cmd("test", "!", "-d", routes),
        cmd("find", routes, "-maxdepth", "1", "-name", "*.json",
            "-exec", "cat", "{}", ";", "-exec", "printf", "\\0", ";"),
    )  # fmt: skip


def route_file(name: str) -> str:
    return f"{ROUTES_DIR}/{name}.json"


def write_route(route: AppRoute) -> Seq:
    """A route file written from its text (0600, atomically) in a trip whose standard input
    another write takes."""
    return pipe(cmd("printf", "%s", route.to_json()), write_stdin(route_file(route.name)))


def remove_route(route_name: str) -> Cmd:
    return cmd("rm", "-f", HomePath(route_file(route_name)))


def forget_routes(names: Sequence[str]) -> Cmd:
    """The routes' files and their live-slot flags (a flag left behind would make a route of
    the same name, deployed again later, start on slot b)."""
    files = [path for name in names for path in (route_file(name), f"{LIVE_DIR}/{live_flag(name)}")]
    return cmd("rm", "-f", *(HomePath(path) for path in files))


def set_live(route_name: str, slot: str) -> Cmd:
    """Make this slot the one that serves the route: atomic either way (see caddy_config)."""
    flag = HomePath(f"{LIVE_DIR}/{live_flag(route_name)}")
    return cmd("touch", flag) if slot == "b" else cmd("rm", "-f", flag)


def set_drained(route_name: str, drained: bool) -> Cmd:
    """Take this host out of the load balancer edges' rotation for the route, or put it back:
    their health checks read the flag on every check (see caddy_config, no reload)."""
    flag = HomePath(f"{LIVE_DIR}/{drained_flag(route_name)}")
    return cmd("touch", flag) if drained else cmd("rm", "-f", flag)


def container(engine: Engine, verb: str) -> Cmd:
    """`start`, `stop` or `restart` the proxy container."""
    return cmd(engine.name, verb, CONTAINER)


def listing(engine: Engine) -> Cmd:
    """The proxy container's name, image and status (nothing when there is none)."""
    return cmd(
        engine.name, "ps", "--all", "--filter", f"name=^{CONTAINER}$",
        "--format", "{{.Names}} {{.Image}} {{.Status}}",
    )  # fmt: skip


def image_of(engine: Engine) -> Cmd:
    """The image the proxy container runs, as it was given (`registry/caddy:2.11`)."""
    return cmd(engine.name, "inspect", "--format", "{{.Config.Image}}", CONTAINER)


def remove_container(engine: Engine) -> Cmd:
    return cmd(engine.name, "rm", "--force", CONTAINER)


def remove(engine: Engine) -> Seq:
    """The proxy container and its state (routes, config, admin socket); the certificates
    stay in their volume."""
    return all_of(remove_container(engine), cmd("rm", "-rf", HomePath(STATE_DIR)))

"""Commands for a load balancer edge's container, `dockyard-edge` (pure).

The same Caddy image as the proxy, beside it if the edge host is also a server: the edge's
~/.dockyard/edge is mounted at /dockyard in its container and holds the admin socket and the
caddy.json it starts from (so a restart comes back serving without dockyard connected).
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands import crontab
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
    write_stdin,
)
from dockyard.commands.caddy_config import ADMIN_DIR
from dockyard.commands.edge_pool import HOSTS_FILE
from dockyard.engine import Engine

CONTAINER = "dockyard-edge"
STATE_DIR = ".dockyard/edge"
CONFIG_FILE = f"{STATE_DIR}/caddy.json"
DATA_VOLUME = "dockyard-edge-data"  # Caddy's own data (its ACME account, locks)
ACME_DIR = f"{STATE_DIR}/acme"  # Caddy's storage with proxy/ssl: true (commands/edge_acme.py)
# the end of the certificate mover's crontab line (commands/edge_mover.py)
MOVER_MARK = "# dockyard-edge-mover"


@dataclass(frozen=True)
class EdgeContainer:
    image: str
    http_port: int = 80  # Caddy listens on the same ports inside the container
    https_port: int = 443
    network: str = NETWORK


def run(engine: Engine, edge: EdgeContainer) -> Cmd:
    http, https = edge.http_port, edge.https_port
    return cmd(
        engine.name, "run", "--detach", "--restart", "unless-stopped", "--name", CONTAINER,
        "--network", edge.network,
        "--publish", f"{http}:{http}", "--publish", f"{https}:{https}",
        "--volume", HomePath(f"{STATE_DIR}:{ADMIN_DIR}"),
        "--volume", HomePath(f"{HOSTS_FILE}:/etc/hosts:ro"),
        "--volume", f"{DATA_VOLUME}:/data",
        "--env", "XDG_DATA_HOME=/data", "--env", "XDG_CONFIG_HOME=/data/config",
        "--log-opt", "max-size=10m",
        "--label", "dockyard=edge",
        "--entrypoint", "caddy",
        edge.image, "run", "--config", f"{ADMIN_DIR}/caddy.json",
    )  # fmt: skip


def start_or_run(engine: Engine, edge: EdgeContainer) -> Seq:
    return any_of(cmd(engine.name, "start", CONTAINER), run(engine, edge))


def write_config() -> Seq:
    """Standard input saved as the edge's caddy.json (0600, atomically), its directories made."""
    return all_of(
        cmd("mkdir", "-p", "-m", "0700", HomePath(".dockyard")),
        cmd("mkdir", "-p", HomePath(STATE_DIR)),
        write_stdin(CONFIG_FILE),
    )


def certificate_path(site: str) -> str:
    """A site's custom certificate and key on the edge, relative to the home: the file
    edge_config's certificate_file(site) names inside the container."""
    return f"{STATE_DIR}/certs/{site}.pem"


def write_certificate(site: str) -> Seq:
    """Standard input (the PEM bundle) saved as the site's certificate (0600, atomically)."""
    return all_of(
        cmd("mkdir", "-p", "-m", "0700", HomePath(".dockyard")),
        cmd("mkdir", "-p", "-m", "0700", HomePath(f"{STATE_DIR}/certs")),
        write_stdin(certificate_path(site)),
    )


def read_certificates(engine: Engine) -> Raw:
    """The edge's stored ACME certificates (`certificates/<issuer>/<name>/<name>.crt|key|json`)
    as a base64 tar on one line, read through the engine (Caddy writes them as the container's
    root); nothing when there are none yet."""
    source = f"{CONTAINER}:{ADMIN_DIR}/acme/certificates"
    return Raw(f"{{ {engine.name} cp {source} - 2>/dev/null | base64 -w0; }}")


def write_certificates(engine: Engine) -> Seq:
    """Standard input (read_certificates' output from another edge) extracted into this edge's
    ACME storage, through the engine (the container exists: booted as a forwarder)."""
    return all_of(
        cmd("mkdir", "-p", HomePath(ACME_DIR)),
        Raw(f"base64 -d | {engine.name} cp - {CONTAINER}:{ADMIN_DIR}/acme/"),
    )


def recent_errors(engine: Engine) -> Raw:
    """The last error lines of the edge's Caddy log (why an ACME order failed); nothing when
    there are none."""
    return Raw(
        f'{{ {engine.name} logs --tail 500 {CONTAINER} 2>&1 | grep \'"level":"error"\' '
        "| tail -n 5 || true; }"
    )


def read_state(engine: Engine, write: bool = False) -> Seq:
    """In one round trip, NUL-separated: the remote home, the edge's caddy.json (empty when
    there is none), whether its container is running and the mounts' destinations, the
    edge's hosts file (its pool's slots, commands/edge_pool.py). With `write`, standard input
    is first saved as caddy.json (write_config); without, nothing is created."""
    steps: list[Command] = [write_config()] if write else []
    steps += [
        Raw('printf "%s\\0" "$HOME"'),
        Raw(f'{{ cat "$HOME/{HomePath(CONFIG_FILE)}" 2>/dev/null; printf "\\0"; }}'),
        Raw(f"{{ {engine.name} inspect --format "
            "'{{.State.Running}} {{range .Mounts}}{{.Destination}} {{end}}' "
            f"{CONTAINER} 2>/dev/null || echo missing; }}"),
        Raw(f'{{ printf "\\0"; cat "$HOME/{HOSTS_FILE}" 2>/dev/null || true; }}'),
    ]  # fmt: skip
    return all_of(*steps)


def remove_container(engine: Engine) -> Cmd:
    return cmd(engine.name, "rm", "--force", CONTAINER)


def remove(engine: Engine) -> Seq:
    """The edge's container, its state (config, certificates, admin socket, the certificate
    mover and its crontab line: commands/edge_mover.py) and Caddy's data."""
    return all_of(
        remove_container(engine),
        Raw(f'( cd "$HOME/{STATE_DIR}" 2> /dev/null && {crontab.unset_lines(MOVER_MARK)}; true )'),
        Raw(f"{{ {engine.name} volume rm {DATA_VOLUME} >/dev/null 2>&1 || true; }}"),
        cmd("rm", "-rf", HomePath(STATE_DIR)),
    )


def listing(engine: Engine) -> Cmd:
    """The edge container's name, image and status (nothing when there is none)."""
    return cmd(
        engine.name, "ps", "--all", "--filter", f"name=^{CONTAINER}$",
        "--format", "{{.Names}} {{.Image}} {{.Status}}",
    )  # fmt: skip

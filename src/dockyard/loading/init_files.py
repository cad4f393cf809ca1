"""`dockyard init`: a starting config, a secrets file and sample hooks; never overwrites."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEPLOY_YML = """\
# Deploy settings, read by dockyard (and by Kamal 2). `dockyard docs` explains every key.
# Lines marked CHANGE need your values before the first deploy; docs/getting-started.md walks
# through them. To try dockyard on a local lab first: `dockyard init --lab NAME` writes a config
# that deploys to it as it is.

# CHANGE: the app's name; container names and labels start with it (also the image's name).
service: my-app

# CHANGE: the servers' addresses; dockyard logs in as root with your SSH key and agent. A plain
# list puts them all in the `web` role.
servers:
  web:
    - 192.168.0.1
  # job:
  #   hosts:
  #     - 192.168.0.1
  #   cmd: bin/jobs

# How requests reach the app through the proxy (Caddy) on each server.
proxy:
  # CHANGE: the app's domain, its DNS pointing at the servers; with `ssl: true` Caddy gets its
  # certificate. Without a host, every request on port 80 reaches this app.
  # host: app.example.com
  # ssl: true
  # CHANGE: the port the app listens on in its container.
  app_port: 80
  # The new version gets requests only once this path answers 200 (Kamal's default: /up).
  # healthcheck:
  #   path: /up

# A local registry, reached from the servers over SSH tunnels: no account needed (it needs
# Docker where you build). For a hosted registry set `image:`, `server:`, `username:` and
# `password: [KAMAL_REGISTRY_PASSWORD]` (the secret's value in .kamal/secrets).
registry:
  server: localhost:5555

# CHANGE: where images are built: this machine's Docker by default; with none here, set
# `remote: ssh://root@HOST` for a host that has Docker. `arch` is the servers' CPU.
builder:
  arch: amd64

# Environment of the app. Secret names are looked up in .kamal/secrets.
env:
  clear:
    PORT: 80
  # secret:
  #   - DATABASE_PASSWORD

# Shortcuts: `dockyard shell` runs `dockyard app exec -i bash`.
aliases:
  shell: app exec --interactive --reuse "bash"

# dockyard's own settings (Kamal ignores x- keys).
x-dockyard:
  runtime: docker
"""

LAB_DEPLOY_YML = """\
# Deploys the app in this directory to the lab {name} ({subnet}), as `dockyard init --lab {name}`
# found it. A plain Kamal 2 config: docs/getting-started.md explains each setting, and what
# changes on a real server; `dockyard docs` explains every key.

# The app's name: container names and labels start with it.
service: {service}
# The image's name: registry.lab:5000/{service} in the lab's registry.
image: {service}

# The lab's servers (`dockyard lab status --name {name}`).
servers:
  web:
{servers}
proxy:
  # No host: every request to port 80 of a server reaches this app (one app per lab). With
  # `host: app.example.com`, only requests for that name do: curl -H 'Host: app.example.com'.
  app_port: {port}  # {port_note}
  healthcheck:
    path: /up  # the new version gets requests only once this answers 200
    interval: 1

# The lab's registry (the servers call it {registry}); it takes any user and password.
registry:
  server: {registry}
  username: lab
  password: lab

builder:
  arch: amd64
  # The lab's builder host has Docker (this machine runs none); it builds the last git commit.
  remote: ssh://root@{builder}

# The lab's SSH key, and its hosts' keys to check them by.
ssh:
  config: {ssh_config}

x-dockyard:
  runtime: {engine}  # the lab servers' engine
  proxy:
    # The lab's hosts reach no registry but the lab's, which has Caddy.
    image: {proxy_image}
"""

DEFAULT_PORT = 80


@dataclass(frozen=True)
class LabTarget:
    """What a config for a running lab needs to know of it (from its lab.json)."""

    name: str
    subnet: str
    servers: tuple[str, ...]  # addresses
    builder: str  # address
    ssh_config: str
    registry: str  # as the hosts name it
    proxy_image: str
    engine: str


def service_name(directory: str) -> str:
    """A service (and image) name from a directory name: lowercase, [a-z0-9_-]."""
    name = re.sub(r"[^a-z0-9_-]+", "-", directory.lower()).strip("-_")
    return name or "app"


def exposed_port(dockerfile: str) -> int | None:
    """The first port of the Dockerfile's first EXPOSE (`EXPOSE 8080/tcp` -> 8080)."""
    for line in dockerfile.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "EXPOSE":
            port = words[1].split("/")[0]
            return int(port) if port.isdigit() else None
    return None


def lab_deploy_yml(lab: LabTarget, service: str, dockerfile: str | None) -> str:
    port = exposed_port(dockerfile or "")
    if port is not None:
        note = "from the Dockerfile's EXPOSE"
    elif dockerfile is None:
        note = f"the port the app listens on (no Dockerfile here yet: {DEFAULT_PORT} assumed)"
    else:
        note = f"the port the app listens on (no EXPOSE in the Dockerfile: {DEFAULT_PORT} assumed)"
    return LAB_DEPLOY_YML.format(
        name=lab.name, subnet=lab.subnet, service=service,
        servers="".join(f"    - {ip}\n" for ip in lab.servers),
        port=port or DEFAULT_PORT, port_note=note, registry=lab.registry, builder=lab.builder,
        ssh_config=lab.ssh_config, engine=lab.engine, proxy_image=lab.proxy_image,
    )  # fmt: skip


SECRETS = """\
# Secrets for the app and the registry, in dotenv syntax. Keep raw values out of git: point at
# them instead, e.g. with $VARIABLES from your shell or $(command) output:
#
#   KAMAL_REGISTRY_PASSWORD=$KAMAL_REGISTRY_PASSWORD
#   DATABASE_PASSWORD=$(cat config/db_password)
#
# Per destination, use .kamal/secrets.<destination>; shared values go in .kamal/secrets-common.
"""

HOOKS = {
    "pre-connect": "Runs before the first connection to the servers.",
    "pre-build": "Runs before the image is built; exit non-zero to stop (e.g. uncommitted work).",
    "pre-deploy": "Runs after the deploy lock is taken, before anything boots.",
    "post-deploy": "Runs after a successful deploy; KAMAL_RUNTIME holds the seconds it took.",
    "pre-app-boot": "Runs before each group of hosts boots the app (KAMAL_HOSTS).",
    "post-app-boot": "Runs after each group of hosts booted the app (KAMAL_HOSTS).",
    "pre-proxy-reboot": "Runs before the proxy restarts on a group of hosts.",
    "post-proxy-reboot": "Runs after the proxy restarted on a group of hosts.",
    "docker-setup": "Runs after the container engine is installed on new servers.",
}


def hook_sample(name: str, purpose: str) -> str:
    return f"""#!/bin/sh
# Sample {name} hook. {purpose}
# Rename to `{name}` (no .sample) to enable it. A non-zero exit stops the command.
# Available: KAMAL_SERVICE KAMAL_VERSION KAMAL_HOSTS KAMAL_DESTINATION KAMAL_PERFORMER ...
echo "{name}: $KAMAL_SERVICE $KAMAL_VERSION on $KAMAL_HOSTS"
"""


def init_files(deploy_yml: str = DEPLOY_YML) -> list[tuple[str, str, int]]:
    """(relative path, content, mode) of every file init writes."""
    files = [("config/deploy.yml", deploy_yml, 0o644), (".kamal/secrets", SECRETS, 0o600)]
    for name, purpose in HOOKS.items():
        files.append((f".kamal/hooks/{name}.sample", hook_sample(name, purpose), 0o755))
    return files


def write_init_files(root: Path, lab: LabTarget | None = None) -> list[tuple[str, bool]]:
    """Write each missing file; an existing one is left as it is. Returns (path, written).
    With a lab, config/deploy.yml deploys the app in `root` to it."""
    deploy_yml = DEPLOY_YML
    if lab is not None:
        dockerfile = root / "Dockerfile"
        text = dockerfile.read_text() if dockerfile.is_file() else None
        deploy_yml = lab_deploy_yml(lab, service_name(root.resolve().name), text)
    results = []
    for relative, content, mode in init_files(deploy_yml):
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x") as handle:
                handle.write(content)
        except FileExistsError:
            results.append((relative, False))
            continue
        path.chmod(mode)
        results.append((relative, True))
    return results

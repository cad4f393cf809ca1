"""`dockyard init`: a starting config, a secrets file and sample hooks; never overwrites."""

from __future__ import annotations

from pathlib import Path

DEPLOY_YML = """\
# Deploy settings, read by dockyard (and by Kamal 2). `dockyard docs` explains every key.

# Name of the app: container names and labels start with it.
service: my-app

# Hosts to deploy to; a plain list puts them all in the `web` role.
servers:
  web:
    - 192.168.0.1
  # job:
  #   hosts:
  #     - 192.168.0.1
  #   cmd: bin/jobs

# How requests reach the app. Set `ssl: true` with a host for automatic certificates.
proxy:
  # host: app.example.com
  # ssl: true
  app_port: 80

# A local registry, reached from the servers over SSH tunnels: no account needed.
# For a hosted registry set `image:`, `server:`, `username:` and `password: [SECRET_NAME]`.
registry:
  server: localhost:5555

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


def init_files() -> list[tuple[str, str, int]]:
    """(relative path, content, mode) of every file init writes."""
    files = [("config/deploy.yml", DEPLOY_YML, 0o644), (".kamal/secrets", SECRETS, 0o600)]
    for name, purpose in HOOKS.items():
        files.append((f".kamal/hooks/{name}.sample", hook_sample(name, purpose), 0o755))
    return files


def write_init_files(root: Path) -> list[tuple[str, bool]]:
    """Write each missing file; an existing one is left as it is. Returns (path, written)."""
    results = []
    for relative, content, mode in init_files():
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

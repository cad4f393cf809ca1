"""An app to build and ship on the lab: a git repo with a Dockerfile FROM scratch (Debian's static
busybox, nothing from any registry), its config for a lab, the CLI, and a look at a server."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from dockyard.lab import LabInfo
from dockyard.lab.system import BUSYBOX

from ..cli import dockyard as dockyard

SECRET_VALUE = "bu1ld-s3cret-never-shown"

DOCKERFILE = """FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY app/ /app/
ARG GREETING=hello
RUN echo "$GREETING" > /app/greeting
LABEL service=shop
EXPOSE 80
CMD ["/bin/sh", "/app/start.sh"]
"""

START = """#!/bin/sh
mkdir -p /www
echo "$(cat /app/greeting) from shop $(cat /app/release)" > /www/index.html
echo OK > /www/up
httpd -f -p "0.0.0.0:80" -h /www &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
"""


def config_text(lab: LabInfo, *, delivery: str, greeting: str = "hello", extra: str = "") -> str:
    servers = "\n".join(f"  - {h.ip}" for h in lab.servers)
    registry = (
        f"registry:\n  server: {lab.registry_host}\n  username: lab\n  password:\n"
        "    - REGISTRY_PASSWORD\n"
        if delivery == "registry"
        else ""
    )
    return f"""service: shop
image: shop
servers:
{servers}
proxy:
  host: shop.test
  app_port: 80
  healthcheck:
    path: /up
    interval: 1
{registry}builder:
  arch: amd64
  remote: ssh://root@{lab.builder.ip}
  args:
    GREETING: {greeting}
env:
  clear:
    RELEASE_NOTE: built by dockyard
  secret:
    - APP_SECRET
ssh:
  config: {lab.ssh_config}
readiness_delay: 1
deploy_timeout: 20
drain_timeout: 5
x-dockyard:
  runtime: {lab.engine}
  delivery: {delivery}
  proxy:
    image: {lab.images["proxy"]}
{extra}"""


def write_app(root: Path, lab: LabInfo, *, delivery: str = "ssh", greeting: str = "hello") -> Path:
    """The app as a git repo with one commit."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / ".kamal").mkdir(exist_ok=True)
    (root / "app").mkdir(exist_ok=True)
    (root / "Dockerfile").write_text(DOCKERFILE)
    shutil.copyfile(BUSYBOX, root / "busybox")
    (root / "busybox").chmod(0o755)
    (root / "app" / "start.sh").write_text(START)
    (root / "app" / "release").write_text("r1\n")
    (root / "config" / "deploy.yml").write_text(
        config_text(lab, delivery=delivery, greeting=greeting)
    )
    (root / ".kamal" / "secrets").write_text(
        f"REGISTRY_PASSWORD=lab\nAPP_SECRET=app\nBUILD_TOKEN={SECRET_VALUE}\n"
    )
    git(root, "init", "-q", "-b", "main")
    commit(root, "first")
    return root


def git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def commit(root: Path, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def ssh(lab: LabInfo, host: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", lab.ssh_config, host, command], capture_output=True, text=True, timeout=60
    )

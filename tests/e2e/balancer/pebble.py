"""A real ACME server for the lab: Debian's pebble and pebble-challtestsrv on the lab's gateway
address (reachable from every lab host, and only this lab's: no clash with other labs).

    with Pebble(gateway, names={"demo.test": [edge2, edge1]}, validity=40) as ca:
        ca.directory          # https://<gateway>:14000/dir, for x-dockyard/load_balancer/acme_ca
        ca.listener_pem       # the root to trust for that address (acme_ca_root)
        ca.root_pem()         # the root pebble issues from, for clients of the edges

pebble resolves names through challtestsrv's DNS, where `names` map to the edges; its HTTP-01
validation goes to port 80 of the first address (so the challenge reaches the edge that passes
it on). PEBBLE_VA_NOSLEEP and no rejected nonces keep the orders fast and deterministic.
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

ACME_PORT, MANAGEMENT_PORT, DNS_PORT, DNS_MANAGEMENT_PORT = 14000, 15000, 8053, 8055


class Pebble:
    def __init__(
        self, gateway: str, names: dict[str, list[str]], validity: int, reuse: bool = True
    ) -> None:
        """`reuse`: pebble's default, a valid authorization reused for half the orders (no
        validation); without it, every order is validated."""
        self.gateway, self.names, self.validity, self.reuse = gateway, names, validity, reuse
        self.dir = Path(tempfile.mkdtemp(prefix="lb-pebble-"))
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[BinaryIO] = []
        self.directory = f"https://{gateway}:{ACME_PORT}/dir"
        self.listener_pem = ""

    def __enter__(self) -> Pebble:
        key, cert = self.dir / "listener.key", self.dir / "listener.crt"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                        "/CN=pebble", "-addext", f"subjectAltName=IP:{self.gateway}",
                        "-keyout", key, "-out", cert], check=True, capture_output=True)  # fmt: skip
        self.listener_pem = cert.read_text()
        config = {"pebble": {
            "listenAddress": f"{self.gateway}:{ACME_PORT}",
            "managementListenAddress": f"{self.gateway}:{MANAGEMENT_PORT}",
            "certificate": str(cert), "privateKey": str(key),
            "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "",
            "externalAccountBindingRequired": False,
            "certificateValidityPeriod": self.validity,
        }}  # fmt: skip
        (self.dir / "pebble.json").write_text(json.dumps(config))
        self._start(
            [
                "pebble-challtestsrv",
                "-dns01",
                f"{self.gateway}:{DNS_PORT}",
                "-http01",
                "",
                "-https01",
                "",
                "-tlsalpn01",
                "",
                "-defaultIPv6",
                "",
                "-management",
                f"{self.gateway}:{DNS_MANAGEMENT_PORT}",
            ],
            "challtestsrv",
        )
        self._start(["pebble", "-config", str(self.dir / "pebble.json"),
                     "-dnsserver", f"{self.gateway}:{DNS_PORT}"], "pebble")  # fmt: skip
        try:
            self._wait_answering()
            for name, addresses in self.names.items():
                self.resolve(name, addresses)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _start(self, argv: list[str], name: str) -> None:
        env = {**os.environ, "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        if not self.reuse:
            env["PEBBLE_AUTHZREUSE"] = "0"
        log = open(self.dir / f"{name}.log", "wb")  # noqa: SIM115 (closed in __exit__)
        self.logs.append(log)
        self.processes.append(subprocess.Popen(argv, env=env, stdout=log, stderr=log))

    def _context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cadata=self.listener_pem)

    def _wait_answering(self) -> None:
        deadline = time.monotonic() + 10
        while True:
            try:
                urllib.request.urlopen(self.directory, context=self._context(), timeout=2).read()
                urllib.request.urlopen(
                    f"http://{self.gateway}:{DNS_MANAGEMENT_PORT}/", timeout=2
                ).read()
                return
            except urllib.error.HTTPError:
                return  # challtestsrv's root answers 404: it is up
            except OSError:
                if time.monotonic() > deadline:
                    logs = {p.name: p.read_text()[-500:] for p in self.dir.glob("*.log")}
                    raise AssertionError(f"pebble did not answer within 10 s: {logs}") from None
                time.sleep(0.1)

    def _post(self, port: int, path: str, body: dict[str, object]) -> None:
        request = urllib.request.Request(
            f"http://{self.gateway}:{port}/{path}", data=json.dumps(body).encode(), method="POST"
        )
        urllib.request.urlopen(request, timeout=5).read()

    def resolve(self, name: str, addresses: list[str]) -> None:
        """`name` resolves to `addresses` from now on (pebble validates on the first):
        challtestsrv appends to a name's records, so they are cleared first (records added
        again and again made pebble's lookups fail: `dns: buffer size too small`)."""
        self._post(DNS_MANAGEMENT_PORT, "clear-a", {"host": name})
        self._post(DNS_MANAGEMENT_PORT, "add-a", {"host": name, "addresses": addresses})

    def root_pem(self) -> str:
        """The root pebble issues from (a new one each start), for clients to verify with."""
        url = f"https://{self.gateway}:{MANAGEMENT_PORT}/roots/0"
        with urllib.request.urlopen(url, context=self._context(), timeout=5) as response:
            return str(response.read().decode())

    def log(self) -> str:
        return (self.dir / "pebble.log").read_text(errors="replace")

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait(timeout=10)
        for log in self.logs:
            log.close()

"""Parser of a load balancer edge's state read from its host (pure)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from dockyard.commands.caddy_config import DRAINED_ANSWER

BLOCK = 512


@dataclass(frozen=True)
class EdgeState:
    home: str
    config: str  # the edge's caddy.json ("" when there is none)
    running: bool  # its container is running
    hosts: str = ""  # its hosts file (commands/edge_pool.py; "" when there is none)
    hosts_mounted: bool = False  # its container has the hosts file as its /etc/hosts
    exists: bool = False  # it has a container, running or not


def parse_edge_state(stdout: str) -> EdgeState:
    """`commands.edge.read_state()` output."""
    home, config, inspected, hosts, *_ = [*stdout.split("\0"), "", "", "", ""]
    running, *mounts = inspected.split() or [""]
    mounted = "/etc/hosts" in mounts
    return EdgeState(home, config, running == "true", hosts, mounted, running in ("true", "false"))


def stored_names(archive: str) -> set[str]:
    """The names with a certificate in `commands.edge.read_certificates()` output (a base64
    tar of `certificates/<issuer>/<name>/<name>.crt`...); empty when there is none or it is
    not a tar."""
    try:
        paths = tar_paths(base64.b64decode(archive.strip(), validate=True))
    except (binascii.Error, ValueError):
        return set()
    names = set()
    for path in paths:
        parts = path.split("/")
        if len(parts) == 4 and parts[3] == f"{parts[2]}.crt":
            names.add(parts[2])
    return names


def tar_paths(data: bytes) -> list[str]:
    """The member paths of a tar (ustar, with pax `path` records as Go's archive/tar writes
    them for long names); ValueError when it is not one."""
    paths: list[str] = []
    offset, pax_path = 0, ""
    while offset + BLOCK <= len(data):
        header = data[offset : offset + BLOCK]
        if not header.strip(b"\0"):
            return paths  # the end-of-archive blocks
        if header[257:262] != b"ustar":
            raise ValueError("not a ustar archive")
        size = int(header[124:136].strip(b"\0 ") or b"0", 8)
        body = data[offset + BLOCK : offset + BLOCK + size]
        offset += BLOCK + -(-size // BLOCK) * BLOCK
        kind = header[156:157]
        if kind == b"x":
            records = body.decode(errors="replace").splitlines()
            pax_path = next((r.split("path=", 1)[1] for r in records if " path=" in r), "")
            continue
        prefix, name = header[345:500].rstrip(b"\0"), header[:100].rstrip(b"\0")
        path = (prefix + b"/" + name if prefix else name).decode(errors="replace")
        paths.append((pax_path or path).rstrip("/"))
        pax_path = ""
    return paths


def last_error(log: str) -> str:
    """The last error of `commands.edge.recent_errors()` output, in Caddy's words (its
    `error`, else its `msg`); "" when there is none."""
    for line in reversed(log.strip().splitlines()):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            return str(entry.get("error") or entry.get("msg") or "").replace("\n", " ")
    return ""


def upstream_health(status: int, body: str) -> str:
    """One web host's health as an edge's check sees it, from the edge's probe's answer (its
    status and body excerpt): "healthy" (2xx), "drained" (its proxy answers the edges' checks
    503 while drained), else "down: <status>: <body>" (the probe's 502 says why it reached
    nothing)."""
    if 200 <= status < 300:
        return "healthy"
    if status == 503 and DRAINED_ANSWER in body:
        return "drained"
    return f"down: {status}: {body}" if body else f"down: {status}"

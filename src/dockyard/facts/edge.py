"""Parser of a load balancer edge's state read from its host (pure)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

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
    return set(_certificates(archive))


def stored_expiries(archive: str) -> dict[str, datetime]:
    """{name: when its stored certificate (the chain's first) expires} in
    `commands.edge.read_certificates()` output, for the names whose certificate reads as one."""
    found: dict[str, datetime] = {}
    for name, pem in _certificates(archive).items():
        expires = not_after(pem)
        if expires is not None:
            found[name] = expires
    return found


def _certificates(archive: str) -> dict[str, bytes]:
    try:
        members = tar_members(base64.b64decode(archive.strip(), validate=True))
    except (binascii.Error, ValueError):
        return {}
    found: dict[str, bytes] = {}
    for path, body in members:
        parts = path.split("/")
        if len(parts) == 4 and parts[3] == f"{parts[2]}.crt":
            found[parts[2]] = body
    return found


def tar_paths(data: bytes) -> list[str]:
    """The member paths of a tar; ValueError when it is not one."""
    return [path for path, _ in tar_members(data)]


def tar_members(data: bytes) -> list[tuple[str, bytes]]:
    """The members (path, contents) of a tar (ustar, with pax `path` records as Go's
    archive/tar writes them for long names); ValueError when it is not one."""
    members: list[tuple[str, bytes]] = []
    offset, pax_path = 0, ""
    while offset + BLOCK <= len(data):
        header = data[offset : offset + BLOCK]
        if not header.strip(b"\0"):
            return members  # the end-of-archive blocks
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
        members.append(((pax_path or path).rstrip("/"), body))
        pax_path = ""
    return members


def not_after(pem: bytes) -> datetime | None:
    """When the first certificate of a PEM chain expires (its validity's notAfter); None when
    it is not one."""
    lines = pem.strip().splitlines()
    try:
        begin = lines.index(b"-----BEGIN CERTIFICATE-----")
        end = lines.index(b"-----END CERTIFICATE-----", begin)
        der = base64.b64decode(b"".join(lines[begin + 1 : end]), validate=True)
        certificate = _inside(der, 0, 0x30)
        tbs = _inside(der, certificate[0], 0x30)
        offset = tbs[0]
        if der[offset] == 0xA0:  # [0] version
            offset = _element(der, offset)[2]
        for _ in range(3):  # serial number, signature algorithm, issuer
            offset = _element(der, offset)[2]
        validity = _inside(der, offset, 0x30)
        kind, start, stop = _element(der, _element(der, validity[0])[2])  # after notBefore
        text = der[start:stop].decode("ascii")
        if kind == 0x17:  # UTCTime YYMMDDHHMMSSZ (years 1950-2049)
            parsed = datetime.strptime(text, "%y%m%d%H%M%SZ")
        elif kind == 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
            parsed = datetime.strptime(text, "%Y%m%d%H%M%SZ")
        else:
            return None
    except (ValueError, IndexError, binascii.Error):
        return None
    return parsed.replace(tzinfo=UTC)


def _element(der: bytes, offset: int) -> tuple[int, int, int]:
    """(tag, start, end) of the DER element at offset: its contents are der[start:end]."""
    tag, length, offset = der[offset], der[offset + 1], offset + 2
    if length & 0x80:
        count = length & 0x7F
        length, offset = int.from_bytes(der[offset : offset + count], "big"), offset + count
    if offset + length > len(der):
        raise ValueError("truncated DER")
    return tag, offset, offset + length


def _inside(der: bytes, offset: int, tag: int) -> tuple[int, int]:
    found, start, end = _element(der, offset)
    if found != tag:
        raise ValueError(f"DER tag {found:#x}, not {tag:#x}")
    return start, end


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

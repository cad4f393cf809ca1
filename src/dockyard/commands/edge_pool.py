"""An edge's pool of web hosts as named slots and the hosts file that maps them (pure).

A site's static upstreams on the edge are a fixed number of slots, `s<k>.<site>.pool.dockyard`
on the web hosts' proxy port (slot_count: the next power of two at least twice the pool, 8 at
least, so that a pool change within it needs no new config). Caddy dials them by name; the
edge's /etc/hosts is a file dockyard writes on the edge host (HOSTS_FILE, bind mounted), which
maps each used slot to its web host's address and each free one to UNUSED, an address no TCP
connection can be made to (the dial fails at once: "network is unreachable"), so the active
health checks keep free slots down and a request is never sent there for long.

Caddy's static binary resolves with Go's own resolver, which reads /etc/hosts again when its
modification time or size changed, at most every 5 s. A pool change is therefore a new hosts
file and no config load (a load closes the connections the edge accepted and had not read).

The file is rewritten in place (a bind mount pins the inode: a renamed file would not be
seen) with one write of the whole text, padded to a multiple of BLOCK so that its size only
changes with the number of sites. Every slot's line is there whether used or free, and a pool
change changes only the lines of the slots added or freed: no reader sees a missing or empty
file, and a torn read could only touch a slot that carries no request at that moment (one
being added, or one freed after its host was drained and idle).

A host keeps its slot for as long as it is in the pool. A freed slot keeps the time it was
freed: a new host takes the free slot freed longest ago (never used first), because the edge
keeps its idle keep-alive connections to a slot's former host for a while and would reuse them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockyard.commands.base import HomePath, Raw, Seq, all_of, cmd

POOL_DOMAIN = "pool.dockyard"
UNUSED = "255.255.255.255"  # a broadcast address: connect() fails at once (ENETUNREACH)
MIN_SLOTS = 8
BLOCK = 4096
HEADER = (
    "# dockyard: the load balancer edge's pool (do not edit)\n127.0.0.1 localhost\n::1 localhost\n"
)
HOSTS_FILE = ".dockyard/edge/hosts"  # relative to the home; the edge's /etc/hosts
HEALTH_LOG = ".dockyard/edge/health.log"  # the edges' active health checks' log lines


def slot_count(hosts: int) -> int:
    """The slots of a site with this many web hosts."""
    count = MIN_SLOTS
    while count < 2 * hosts:
        count *= 2
    return count


def slot_name(site: str, slot: int) -> str:
    return f"s{slot}.{site}.{POOL_DOMAIN}"


def pooled(upstreams: Sequence[str]) -> bool:
    """A site's web hosts can be slots: each given as an IP address (a hosts file maps names
    to addresses only). A site with a web host given by name dials it directly, and a change
    of its pool loads a config."""
    return bool(upstreams) and all(is_address(_host(u)) for u in upstreams)


@dataclass(frozen=True)
class Slot:
    address: str  # the web host's address; "" when free
    freed: int = 0  # when a free slot was freed (seconds since the epoch; 0: never used)


Layout = dict[str, list[Slot]]  # the slots of each pooled site, by site name


def parse_hosts(text: str) -> Layout:
    """A hosts file render_hosts wrote (anything else in it ignored)."""
    found: dict[str, dict[int, Slot]] = {}
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or not fields[1].endswith(f".{POOL_DOMAIN}"):
            continue
        label, _, rest = fields[1].removesuffix(f".{POOL_DOMAIN}").partition(".")
        if not (label.startswith("s") and label[1:].isdigit() and rest):
            continue
        freed = fields[4] if len(fields) >= 5 and fields[3] == "freed" else "0"
        address = "" if fields[0] == UNUSED else fields[0]
        found.setdefault(rest, {})[int(label[1:])] = Slot(
            address, int(freed) if freed.isdigit() else 0
        )
    return {
        site: [slots.get(k, Slot("")) for k in range(max(slots) + 1)]
        for site, slots in found.items()
    }


def render_hosts(layout: Mapping[str, Sequence[Slot]]) -> str:
    """The hosts file: localhost, then every slot of every site, padded to a BLOCK multiple."""
    lines = [HEADER]
    for site in sorted(layout):
        for k, slot in enumerate(layout[site]):
            name = slot_name(site, k)
            # every line of a site as long as the others: a change rewrites its own bytes only
            address = slot.address or UNUSED
            tail = f"freed {slot.freed:010d}" if not slot.address else "in use"
            lines.append(f"{address:<39} {name} # {tail:<16}\n")
    text = "".join(lines)
    padding = -(len(text) + 2) % BLOCK
    return text + "#" + " " * padding + "\n"


def mapped(layout: Mapping[str, Sequence[Slot]]) -> dict[str, set[str]]:
    """The web host addresses each site's slots map to."""
    return {site: {s.address for s in slots if s.address} for site, slots in layout.items()}


def with_hosts(layout: Mapping[str, Sequence[Slot]], wanted: Mapping[str, Sequence[str]]) -> Layout:
    """The layout with every wanted address of each site in a slot (kept where it is, else in
    the free slot freed longest ago), the slots resized to slot_count, a site not wanted gone;
    addresses no longer wanted keep their slots (freed by without_hosts, once drained)."""
    result: Layout = {}
    for site, addresses in wanted.items():
        count = slot_count(len(addresses))
        slots = list(layout.get(site, []))[:count]  # fewer slots: what no longer fits moves
        slots += [Slot("")] * (count - len(slots))
        for address in addresses:
            if any(s.address == address for s in slots):
                continue
            free = [k for k, s in enumerate(slots) if not s.address]
            # no slot free only when the slots shrank: one no longer wanted makes room
            free = free or [k for k, s in enumerate(slots) if s.address not in addresses]
            slots[min(free, key=lambda k: (slots[k].freed, k))] = Slot(address)
        result[site] = slots
    return result


def without_hosts(
    layout: Mapping[str, Sequence[Slot]], wanted: Mapping[str, Sequence[str]], now: int
) -> Layout:
    """The layout with the slots of addresses no longer wanted freed at `now`."""
    return {
        site: [
            s if not s.address or s.address in wanted.get(site, ()) else Slot("", now)
            for s in slots
        ]
        for site, slots in layout.items()
    }


def write_hosts(text: str) -> Seq:
    """Standard input (render_hosts' text) written over the edge's hosts file in place, in one
    write and without truncating it first (a bind mount pins the file; a reader never sees it
    empty), then cut to its length (a shorter file only when a site went)."""
    path = HomePath(HOSTS_FILE)
    return all_of(
        cmd("mkdir", "-p", "-m", "0700", HomePath(".dockyard")),
        cmd("mkdir", "-p", HomePath(".dockyard/edge")),
        Raw(f'dd of="$HOME/{HOSTS_FILE}" bs=1M iflag=fullblock conv=notrunc status=none'),
        cmd("truncate", "-s", str(len(text.encode())), path),
    )  # fmt: skip


def read_health() -> Raw:
    """The up and down transitions in the edge's recent health log, oldest first, as Caddy
    logs them (`"msg":"host is up","host":"<slot>:<port>"`); nothing when there are none."""
    return Raw(
        f'{{ tail -c 1000000 "$HOME/{HEALTH_LOG}" 2>/dev/null '
        '| grep -o \'"msg":"host is [a-z]*","host":"[^"]*"\' || true; }'
    )


def parse_health(stdout: str) -> dict[str, bool]:
    """read_health's output -> whether each upstream (slot:port) was last seen up."""
    state: dict[str, bool] = {}
    for line in stdout.splitlines():
        verdict, _, host = line.partition('","host":"')
        if host:
            state[host.rstrip('"')] = verdict.endswith("host is up")
    return state


def _host(upstream: str) -> str:
    return upstream.rsplit(":", 1)[0].strip("[]")


def is_address(host: str) -> bool:
    """Whether the host is given as an IP address (not a name)."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True

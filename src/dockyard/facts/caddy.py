"""Parsers of Caddy admin API answers (pure)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class UpstreamLoad:
    in_flight: int  # requests being proxied to it: dialing, sending or answering
    # failed attempts within the route's failure window (caddy_config.FAIL_WINDOW): a request
    # that waits to retry a failed dial is counted here, and in no in_flight
    recent_failures: int = 0

    @property
    def busy(self) -> bool:
        return self.in_flight > 0 or self.recent_failures > 0


def parse_upstreams(body: bytes) -> dict[str, UpstreamLoad]:
    """`GET /reverse_proxy/upstreams` -> what each upstream address has in flight.

    Caddy (>= 2.11.2) keeps listing an address removed from the config while requests to it are
    still in flight, which is how a drain is watched.
    """
    entries = json.loads(body or b"[]") or []
    return {
        str(e["address"]): UpstreamLoad(int(e.get("num_requests", 0)), int(e.get("fails", 0)))
        for e in entries
    }

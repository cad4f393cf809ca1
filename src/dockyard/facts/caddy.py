"""Parsers of Caddy admin API answers (pure)."""

from __future__ import annotations

import json


def parse_in_flight(body: bytes) -> dict[str, int]:
    """`GET /reverse_proxy/upstreams` -> requests in flight per upstream address.

    Caddy (>= 2.11.2) keeps listing an address removed from the config while requests to it are
    still in flight, which is how a drain is watched.
    """
    entries = json.loads(body or b"[]") or []
    return {str(e["address"]): int(e.get("num_requests", 0)) for e in entries}

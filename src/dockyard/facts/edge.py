"""Parser of a load balancer edge's state read from its host (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EdgeState:
    home: str
    config: str  # the edge's caddy.json ("" when there is none)
    running: bool  # its container is running


def parse_edge_state(stdout: str) -> EdgeState:
    """`commands.edge.read_state()` output."""
    home, config, running, *_ = [*stdout.split("\0"), "", "", ""]
    return EdgeState(home, config, running.strip() == "true")

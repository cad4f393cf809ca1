"""Parsers of the proxy state read from a server (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands.caddy_config import AppRoute


@dataclass(frozen=True)
class ProxyState:
    home: str
    config: str  # the caddy.json on the server ("" when there is none)
    running: bool  # the proxy container is running
    routes: list[AppRoute]  # sorted by name


def parse_state(stdout: str) -> ProxyState:
    """`read_state()` output."""
    home, config, running, *files = [*stdout.split("\0"), "", ""]
    routes = [AppRoute.from_json(text) for text in files if text.strip()]
    return ProxyState(home, config, running.strip() == "true", sorted(routes, key=lambda r: r.name))

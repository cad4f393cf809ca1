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
    live_b: frozenset[str] = frozenset()  # routes whose slot b serves (slot a serves the rest)

    def live_slot(self, route_name: str) -> str:
        return "b" if route_name in self.live_b else "a"


def parse_state(stdout: str) -> ProxyState:
    """`read_state()` output."""
    home, config, running, live, *files = [*stdout.split("\0"), "", "", ""]
    live_b = frozenset(line.strip() for line in live.splitlines() if line.strip())
    return ProxyState(home, config, running.strip() == "true", _routes(files), live_b)


def parse_routes(stdout: str) -> list[AppRoute]:
    """`read_routes()` output: the route files, sorted by name."""
    return _routes(stdout.split("\0"))


def _routes(files: list[str]) -> list[AppRoute]:
    return sorted(
        (AppRoute.from_json(text) for text in files if text.strip()), key=lambda r: r.name
    )

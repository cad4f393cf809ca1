"""Parsers of the proxy state read from a server (pure)."""

from __future__ import annotations

from dockyard.commands.caddy_config import AppRoute


def parse_state(stdout: str) -> tuple[str, list[AppRoute]]:
    """`read_state()` output -> (remote home, routes sorted by name)."""
    home, *files = stdout.split("\0")
    routes = [AppRoute.from_json(text) for text in files if text.strip()]
    return home, sorted(routes, key=lambda r: r.name)

"""Parsers for what accessory commands print (pure)."""

from __future__ import annotations


def parse_container_state(text: str, name: str) -> str | None:
    """The state of the container `name` from `ps --format '{{.Names}}\\t{{.State}}'` lines
    (running, exited, created...), or None when it is not listed. Podman 4.3 prints
    `Up 21 seconds ago` where Docker prints `running`, and `Exited (0) ...` for exited."""
    for line in text.splitlines():
        found, _, state = line.partition("\t")
        if found == name:
            word = state.split()[0].lower() if state.split() else "unknown"
            return "running" if word == "up" else word
    return None

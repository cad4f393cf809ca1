"""Parsers for what accessory commands print (pure)."""

from __future__ import annotations


def parse_container_state(text: str, name: str) -> str | None:
    """The state of the container `name` from `ps --format '{{.Names}}\\t{{.State}}'` lines
    (running, exited, created...), or None when it is not listed. Podman 4.3 prints
    `Up 21 seconds ago` where Docker prints `running`, and `Exited (0) ...` for exited."""
    for line in text.splitlines():
        found, _, state = line.partition("\t")
        if found == name:
            return state_word(state)
    return None


def state_word(state: str) -> str:
    """`running`, `exited`, `created`...: Docker's State, or Podman 4.3's (`Up 21 seconds ago`,
    `Exited (0) 3 seconds ago`) as Docker says it."""
    word = state.split()[0].lower() if state.split() else "unknown"
    return "running" if word == "up" else word


def details_line(line: str) -> str:
    """A `ps` line (name, state, status, image, ports; tab-separated), two spaces apart, with
    the state as Docker says it on both engines."""
    fields = line.split("\t")
    if len(fields) > 1:
        fields[1] = state_word(fields[1])
    return "  ".join(fields)

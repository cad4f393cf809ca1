"""A container `app exec --detach` started and left running: where it is and its name, which
the CLI prints with how to follow and remove it (the SSH backend: one per host of the role;
the swarm: one on the first manager).

    Detached(host="10.0.0.1", name="shop-web-exec-1a2b3c", container="0123abcd", engine="docker")
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Detached:
    host: str
    name: str
    container: str  # its ID, as `run --detach` printed it
    engine: str  # the program on that host: `docker` or `podman`

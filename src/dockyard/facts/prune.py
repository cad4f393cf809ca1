"""What a prune printed (commands.prune.reported), parsed (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.commands.prune import PRUNE_FAILED, PRUNE_MARKER
from dockyard.errors import stderr_gist

REMOVED = "removed "


@dataclass(frozen=True)
class Pruned:
    removed: tuple[str, ...]  # `container <id>` or an image's `repository:tag`, a line each
    failure: str | None = None  # `exited <status>: <the engine's words>`; None when it worked

    @property
    def containers(self) -> int:
        return sum(1 for what in self.removed if what.startswith("container "))

    @property
    def images(self) -> int:
        return len(self.removed) - self.containers


def parse_pruned(stdout: str) -> Pruned:
    """The lines after PRUNE_MARKER: removals, and a failure with the lines the engine said
    (nothing pruned when the marker is missing: the prune did not run)."""
    _, marker, output = stdout.partition(PRUNE_MARKER + "\n")
    if not marker:
        return Pruned(())
    lines = output.splitlines()
    removed = tuple(line.removeprefix(REMOVED) for line in lines if line.startswith(REMOVED))
    status = next((line.removeprefix(PRUNE_FAILED) for line in lines
                   if line.startswith(PRUNE_FAILED)), None)  # fmt: skip
    if status is None:
        return Pruned(removed)
    said = "\n".join(line for line in lines if not line.startswith((REMOVED, PRUNE_FAILED)))
    return Pruned(removed, f"exited {status.strip()}: {stderr_gist(said)}")

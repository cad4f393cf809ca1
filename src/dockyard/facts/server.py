"""Why an engine install (commands.server.install_engine) failed, from its exit and stderr
(pure)."""

from __future__ import annotations

from dockyard.commands.server import NO_APT, NOT_ROOT
from dockyard.errors import stderr_gist


def install_failure(exit_status: int, stderr: str) -> str:
    """The cause, in words a user can act on."""
    if exit_status == NOT_ROOT:
        return "installing it needs root: connect as root (ssh/user) or install it by hand"
    if exit_status == NO_APT:
        return "this server has no apt-get (dockyard installs on Debian/Ubuntu): install it by hand"
    said = stderr_gist(stderr)
    return f"apt-get failed (exit {exit_status}): {said}; fix that, or install it by hand"

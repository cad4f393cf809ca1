"""Registry login/logout and image pulls on servers (pure)."""

from __future__ import annotations

from dockyard.commands import app as app_commands
from dockyard.commands.base import Cmd, Seq, all_of, cmd


def login(engine: str, server: str, username: str) -> Cmd:
    """The password goes on standard input, never on the command line (it would show in `ps`)."""
    return cmd(engine, "login", server, "--username", username, "--password-stdin")


def logout(engine: str, server: str) -> Cmd:
    return cmd(engine, "logout", server)


def pull_checked(engine: str, image: str) -> Seq:
    """Pull, then print the image's service label (Kamal refuses an image of another service)."""
    return all_of(app_commands.pull(engine, image), app_commands.image_service_label(engine, image))

"""Registry login/logout and image pulls on servers (pure)."""

from __future__ import annotations

from dockyard.commands import app as app_commands
from dockyard.commands.base import Cmd, Seq, all_of, cmd
from dockyard.engine import Engine


def login(engine: Engine, server: str, username: str) -> Cmd:
    """The password goes on standard input, never on the command line (it would show in `ps`)."""
    return cmd(engine.name, "login", server, "--username", username, "--password-stdin")


def logout(engine: Engine, server: str) -> Cmd:
    return cmd(engine.name, "logout", server)


def pull_checked(engine: Engine, image: str) -> Seq:
    """Pull, then print the image's service label (Kamal refuses an image of another service)."""
    return all_of(app_commands.pull(engine, image), app_commands.image_service_label(engine, image))


def pull_local_checked(engine: Engine, image: str) -> Seq:
    """A pull from the local registry (plain HTTP on loopback: docker trusts localhost, podman
    needs --tls-verify=false), then the service label."""
    tls = engine.insecure_registry_flags
    pull = cmd(engine.name, "pull", *tls, image)
    return all_of(pull, app_commands.image_service_label(engine, image))


def local_registry_config(port: int, storage: str) -> str:
    """docker-registry's config for Kamal 2.8's local registry: loopback only, never published
    on a network; the servers reach it through SSH reverse tunnels."""
    return (
        "version: 0.1\n"
        "log: {level: warn, accesslog: {disabled: true}}\n"
        f"storage: {{filesystem: {{rootdirectory: {storage}}}, delete: {{enabled: true}}}}\n"
        f'http: {{addr: "127.0.0.1:{port}"}}\n'
    )

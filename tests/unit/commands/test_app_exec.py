from __future__ import annotations

import pytest

from dockyard.commands.app import AppContainer
from dockyard.commands.app_exec import (
    in_new_container,
    in_running_container,
    parse_env,
    removing_on_exit,
)
from dockyard.commands.base import Raw
from dockyard.engine import DOCKER, PODMAN
from dockyard.errors import UsageError

WEB = AppContainer(
    name="demo-web-v1", image="reg/demo:v1", hostname="s1-abc", labels={"service": "demo"},
    env={"KAMAL_VERSION": "v1"}, env_file=".dockyard/apps/demo/env/roles/web.env",
    volumes=("/data:/data",),
)  # fmt: skip


def test_a_new_container_gets_the_env_file_the_env_and_the_shell_text_as_is() -> None:
    command = in_new_container(DOCKER, WEB, "demo-web-exec-t", "bin/rails runner 'p 1'",
                               env={"EXTRA": "a b"})  # fmt: skip
    assert command.render() == (
        "docker run --name demo-web-exec-t --network kamal --rm --env KAMAL_VERSION=v1 "
        "--env 'EXTRA=a b' --env-file \"$HOME/.dockyard/apps/demo/env/roles/web.env\" "
        "--volume /data:/data reg/demo:v1 bin/rails runner 'p 1'"
    )


def test_interactive_and_detached_new_containers() -> None:
    interactive = in_new_container(PODMAN, WEB, "x", "sh", interactive=True).render()
    assert " --rm --interactive --tty " in interactive and interactive.startswith("podman run")
    detached = in_new_container(DOCKER, WEB, "x", "sleep 9", detach=True).render()
    assert " --detach " in detached and "--rm" not in detached


def test_reuse_execs_in_the_newest_running_container_of_the_role() -> None:
    command = in_running_container(DOCKER, "demo", "web", "staging", "ls /", env={"A": "1"})
    assert command.render() == (
        "docker exec --env A=1 $(docker ps --latest --quiet --filter label=service=demo "
        "--filter label=role=web --filter label=destination=staging --filter status=running) ls /"
    )


def test_env_pairs_need_an_equals_sign() -> None:
    assert parse_env(["A=1", "B=x=y", "C="]) == {"A": "1", "B": "x=y", "C": ""}
    with pytest.raises(UsageError, match="-e 'A' is not KEY=VALUE"):
        parse_env(["A"])


def test_an_interactive_one_off_container_on_podman() -> None:
    assert in_new_container(PODMAN, WEB, "x", "sh", interactive=True).render() == (
        "podman run --name x --network kamal --rm --interactive --tty --env KAMAL_VERSION=v1 "
        '--env-file "$HOME/.dockyard/apps/demo/env/roles/web.env" '
        "--volume /data:/data reg/demo:v1 sh"
    )


def test_a_detached_one_off_container_is_kept_for_its_logs() -> None:
    bare = AppContainer(name="n", image="reg/demo:v1", hostname="h", labels={})
    assert in_new_container(DOCKER, bare, "x", "sleep 9", detach=True).render() == (
        "docker run --name x --network kamal --detach reg/demo:v1 sleep 9"
    )


def test_env_values_are_quoted_and_the_command_is_shell_text() -> None:
    bare = AppContainer(name="n", image="i", hostname="h", labels={})
    env = {"A": "$(x)", "B": "it's", "C": "two\nlines"}
    assert in_new_container(DOCKER, bare, "x", "echo $HOME", env=env).render() == (
        "docker run --name x --network kamal --rm --env 'A=$(x)' --env 'B=it'\"'\"'s' "
        "--env 'C=two\nlines' i echo $HOME"
    )


def test_reuse_interactively_on_podman_without_a_destination() -> None:
    assert in_running_container(PODMAN, "demo", "web", None, "sh", interactive=True).render() == (
        "podman exec --interactive --tty $(podman ps --latest --quiet --filter label=service=demo "
        "--filter label=role=web --filter status=running) sh"
    )


def test_the_env_file_is_removed_when_the_shell_exits_whatever_the_users_text_holds() -> None:
    detached = in_new_container(DOCKER, WEB, "x", "sleep 9 # a comment", detach=True)
    assert removing_on_exit(".dockyard/apps/demo/env/exec/x.env", detached).render() == (
        "trap 'rm -f \"$HOME/.dockyard/apps/demo/env/exec/x.env\"' EXIT; "
        "docker run --name x --network kamal --detach --env KAMAL_VERSION=v1 "
        '--env-file "$HOME/.dockyard/apps/demo/env/roles/web.env" '
        "--volume /data:/data reg/demo:v1 sleep 9 # a comment"
    )
    with pytest.raises(ValueError, match="a quote in a path"):
        removing_on_exit(".dockyard/it's.env", Raw("true"))

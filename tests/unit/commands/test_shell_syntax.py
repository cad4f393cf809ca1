"""Every shell text the builders render parses: `bash -n` on the expected string of each exact
render of a builder that returns Raw or Seq (a test passing means the rendering is that string),
on each `sh -c` script inside a Cmd's rendering, and on the scripts the backup container runs.
It catches unbalanced quotes, braces and parentheses, a `do` without `done`, without running
anything."""

from __future__ import annotations

import shlex
import subprocess
import typing

import pytest

from dockyard.commands import backup_s3, backup_scripts, backup_verify
from dockyard.commands.base import Cmd
from tests.unit.commands.exact_renders import ExactRender, builder_name, exact_renders


def shell_text(render: ExactRender) -> bool:
    """Raw or Seq can hold shell syntax; a Cmd is only quoted words."""
    return typing.get_type_hints(render.builder)["return"] is not Cmd


def inner_scripts(render: ExactRender) -> list[str]:
    """The scripts a Cmd hands to a shell in the container: `sh -c SCRIPT`, or `IMAGE -c SCRIPT`
    with `--entrypoint /bin/sh` (not psql's `-c SQL`)."""
    words = shlex.split(render.expected)
    entrypoint_sh = "--entrypoint /bin/sh" in " ".join(words)
    return [
        words[i + 1]
        for i, word in enumerate(words[:-1])
        if word == "-c" and (entrypoint_sh or (i > 0 and words[i - 1] in ("sh", "bash")))
    ]


RENDERS = {r.expected: r for r in exact_renders() if shell_text(r)}  # one check per string
INNER = {s: r for r in exact_renders() if not shell_text(r) for s in inner_scripts(r)}
SCRIPTS = {
    "backup.sh": backup_scripts.BACKUP_SH,
    "schedule.sh": backup_scripts.SCHEDULE_SH,
    "s3.sh": backup_s3.S3_SH,
    "verify.sh": backup_verify.VERIFY_SH,
}


def syntax_error(text: str) -> str:
    """bash's complaint about the text, or '' when it parses."""
    check = subprocess.run(["bash", "-n"], input=text, capture_output=True, text=True, check=False)
    return check.stderr.strip() if check.returncode else ""


@pytest.mark.parametrize(
    "render", RENDERS.values(), ids=lambda r: f"{builder_name(r.builder)}@{r.where}"
)
def test_a_rendering_is_valid_shell(render: ExactRender) -> None:
    assert syntax_error(render.expected) == ""


@pytest.mark.parametrize(
    "script", INNER, ids=lambda s: f"{builder_name(INNER[s].builder)}@{INNER[s].where}"
)
def test_a_script_a_command_hands_to_sh_is_valid_shell(script: str) -> None:
    assert syntax_error(script) == ""


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_backup_container_script_is_valid_shell(name: str) -> None:
    assert syntax_error(SCRIPTS[name]) == ""


def test_there_are_renderings_to_check() -> None:
    assert (len(RENDERS) > 50, len(INNER) >= 8) == (True, True)


@pytest.mark.parametrize(
    "broken",
    ["echo 'a", 'echo "a', "{ echo a", "( echo a", "for i in 1; do echo $i", "a && || b", "$(x"],
)
def test_the_check_catches_broken_shell(broken: str) -> None:
    assert syntax_error(broken) != ""

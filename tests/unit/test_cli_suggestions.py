"""A mistyped command, subcommand or option gets the nearest match in one line (exit 2),
aliases from the config included; through the CLI's own entry point, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.cli.main import run
from dockyard.cli.suggest import did_you_mean, nearest

ALIASES = """\
service: app
image: me/app
registry: {username: me, password: [KAMAL_REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers: [10.0.0.1]
aliases:
  console: app exec -i --reuse "bin/rails console"
  bad: deplyo --skip-push
"""


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The last line a usage error prints (after click's usage lines); it must exit 2."""
    with pytest.raises(SystemExit) as exit_info:
        run(list(argv))
    assert exit_info.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["deploi"], "Error: No such command 'deploi'. Did you mean one of 'deploy', 'redeploy'?"),
        (["acc", "details", "db"], "Error: No such command 'acc'. Did you mean 'accessory'?"),
        (["xyzzy"], "Error: No such command 'xyzzy'."),
        (["app", "detials"], "Error: No such command 'detials'. Did you mean 'details'?"),
        (
            ["app", "stale-containers"],
            "Error: No such command 'stale-containers'. Did you mean one of 'stale_containers', "
            "'containers'?",
        ),
        (["lab", "stauts"], "Error: No such command 'stauts'. Did you mean 'status'?"),
        (["lock", "relase"], "Error: No such command 'relase'. Did you mean 'release'?"),
        (
            ["accessory", "backup", "db", "--rol", "web"],
            "Error: No such option '--rol'. Did you mean '--roles'?",
        ),
        (
            ["deploy", "--skip"],
            "Error: No such option '--skip'. Did you mean one of '--skip-push', '--skip-hooks'?",
        ),
        (["app", "logs", "--gerp", "x"], "Error: No such option '--gerp'. Did you mean '--grep'?"),
        (["--verison"], "Error: No such option '--verison'. Did you mean '--version'?"),
        (
            ["lab", "up", "--sever", "3"],
            "Error: No such option '--sever'. Did you mean '--servers'?",
        ),
    ],
)
def test_the_nearest_command_or_option(
    capsys: pytest.CaptureFixture[str], argv: list[str], line: str
) -> None:
    assert usage_error(capsys, *argv) == line


def test_the_config_s_aliases_are_suggested_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(ALIASES)
    monkeypatch.chdir(tmp_path)
    assert usage_error(capsys, "consol") == (
        "Error: No such command 'consol'. Did you mean one of 'console', 'cron'?"
    )
    assert usage_error(capsys, "bad") == (
        "Error: No such command 'deplyo' (alias 'bad' runs `deplyo --skip-push`; see "
        "aliases/bad in the config). Did you mean one of 'deploy', 'redeploy'?"
    )


def test_nearest_takes_close_spellings_then_beginnings() -> None:
    assert nearest("stat", ["status", "start", "stop"]) == ["start", "status"]
    assert nearest("ver", ["version", "verify", "remove"]) == ["verify", "version"]
    assert nearest("qq", ["app", "lab"]) == []
    assert did_you_mean([]) == ""
    assert did_you_mean(["a"]) == " Did you mean 'a'?"
    assert did_you_mean(["a", "b"]) == " Did you mean one of 'a', 'b'?"

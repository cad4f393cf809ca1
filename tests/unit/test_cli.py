import subprocess
import sys

import pytest

from dockyard import __version__
from dockyard.cli.app import detached_lines
from dockyard.cli.main import COMMANDS, run
from dockyard.workflows.detached import Detached


def dockyard(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockyard", *args], capture_output=True, text=True, timeout=60
    )


def test_version_fast_path_and_command_agree() -> None:
    assert dockyard("--version").stdout.strip() == __version__
    assert dockyard("version").stdout.strip() == __version__


def test_help_lists_every_group_of_the_architecture() -> None:
    out = dockyard("--help").stdout
    for name in ["setup", "deploy", "rollback", "app", "accessory", "proxy", "build", "lock",
                 "prune", "secrets", "server", "registry", "audit", "details", "config", "docs",
                 "init", "remove", "lab"]:  # fmt: skip
        assert name in COMMANDS
        assert f"  {name} " in out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["no-such-command"])
    assert exit_info.value.code == 2
    assert "No such command" in capsys.readouterr().err


def test_app_exec_detach_refuses_what_kamal_refuses_beside_it() -> None:
    for given, said in ((["--reuse"], "--reuse"), (["-i", "--raw"], "-i or --raw")):
        refused = dockyard("app", "exec", "--detach", *given, "true")
        assert refused.returncode != 0 and refused.stdout == ""
        assert (
            refused.stderr.strip()
            .splitlines()[-1]
            .endswith(f"--detach is not compatible with {said}: give one or the other")
        )


def test_a_detached_container_is_shown_with_how_to_follow_and_remove_it() -> None:
    started = Detached("10.0.0.1", "shop-web-exec-1a", "0123456789abcdef", "docker")
    assert detached_lines(started) == [
        "shop-web-exec-1a started, detached (container 0123456789ab)",
        "follow its output: dockyard server exec -h 10.0.0.1 -i 'docker logs --follow "
        "shop-web-exec-1a'",
        "remove it: dockyard server exec -h 10.0.0.1 'docker rm --force shop-web-exec-1a'",
    ]

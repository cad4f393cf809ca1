import subprocess
import sys

import pytest

from dockyard import __version__
from dockyard.cli.main import COMMANDS, run


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

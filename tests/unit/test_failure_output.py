"""What a failed command prints (cli/failure.py): the one error line first (all of stderr),
naming host, role, step and cause; right below it (stdout), trimmed, where each role was left
and the engine's own words under the step's name; the internal script only with -v, and never
a secret."""

from __future__ import annotations

import asyncio

import pytest

from dockyard.cli import main
from dockyard.cli.failure import LOG_LINES, STDERR_LINES, WIDTH, error_line, failure_details
from dockyard.commands import app as app_commands
from dockyard.errors import (
    CommandFailed,
    DeployFailed,
    DockyardError,
    HostsFailed,
    Result,
    StepFailed,
)
from dockyard.ssh.fake import Reply
from dockyard.workflows.deploy.deploy import DeployOptions, deploy
from tests.unit.workflows.faults import BOUND
from tests.unit.workflows.fleet import SECRETS, Fleet, fast_waits, plan_of
from tests.unit.workflows.test_deploy_scenarios import SEPARATE_HOSTS

REFUSED = "unknown flag: --bogus\nSee 'docker run --help'."


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    fast_waits(monkeypatch)


async def refused_deploy() -> DockyardError:
    """A deploy whose primary role's `docker run` the engine refuses (web on .1, worker on .2)."""
    fleet = Fleet(plan_of(SEPARATE_HOSTS))
    fake = fleet.make()
    fake.on("10.0.0.1", "docker run", Reply(125, "", REFUSED))
    with pytest.raises(DockyardError) as caught:
        async with asyncio.timeout(BOUND):
            await deploy(fake, fleet.plan, DeployOptions())
    return caught.value


async def test_a_refused_option_is_one_error_line_with_the_engine_s_words_below() -> None:
    error = await refused_deploy()
    line = error_line(error)
    assert line.startswith("ERROR (HostsFailed): failed on 2 host(s): 10.0.0.1: web: ")
    assert "starting demo-web-v2 failed: exited 125: unknown flag: --bogus" in line
    assert "\n" not in line
    assert failure_details(error) == [
        "  Where each role was left:",
        "    10.0.0.1 web: kept the version that served before",
        "    10.0.0.2 worker: kept the version that served before",
        "  [10.0.0.1] web: starting demo-web-v2: exited 125; its last lines on stderr:",
        "  [10.0.0.1]   unknown flag: --bogus",
        "  [10.0.0.1]   See 'docker run --help'.",
    ]


async def test_the_internal_script_only_with_verbose_and_never_a_secret() -> None:
    error = await refused_deploy()
    quiet, verbose = failure_details(error), failure_details(error, verbose=True)
    assert not any(app_commands.RUN_MARKER in line for line in [error_line(error), *quiet])
    shown = verbose[len(quiet) :]
    assert shown[0] == "  [10.0.0.1] web: starting demo-web-v2: the command (secrets redacted):"
    assert any(app_commands.RUN_MARKER in line and "docker run" in line for line in shown[1:])
    assert all(line.startswith("  [10.0.0.1]   ") for line in shown[1:])
    for value in SECRETS.values():
        assert not [line for line in [error_line(error), *verbose] if value in line]


def test_long_engine_output_is_trimmed() -> None:
    stderr = "".join(f"line {i} " + "x" * 300 + "\n" for i in range(50))
    result = Result("10.0.0.1", "docker pull app:v2", 1, "", stderr)
    error = StepFailed("10.0.0.1", "pulling app:v2", CommandFailed(result), "nothing changed")
    error.__cause__ = CommandFailed(result)
    lines = failure_details(HostsFailed({"10.0.0.1": error}))
    assert lines[0] == "  [10.0.0.1] pulling app:v2: exited 1; its last lines on stderr:"
    shown = lines[1:]
    assert len(shown) == STDERR_LINES
    assert shown[0].startswith("  [10.0.0.1]   line 40 xxx")
    assert all(len(line) == len("  [10.0.0.1]   ") + WIDTH and line.endswith("…") for line in shown)


def test_a_command_without_a_step_name_is_named_briefly() -> None:
    script = "mkdir -p x && " + " && ".join(f"echo {i}" for i in range(200))
    error = CommandFailed(Result("10.0.0.3", script, 2, "", "boom\n"))
    line, lines = error_line(error), failure_details(error)
    assert len(line) < 300 and line.endswith("…` exited 2: boom")
    assert lines[0].startswith("  [10.0.0.3] `mkdir -p x && echo 0 && echo 1")
    assert lines[0].endswith("…`: exited 2; its last lines on stderr:")
    assert lines[1:] == ["  [10.0.0.3]   boom"]


def test_a_failed_container_s_last_log_lines_are_below() -> None:
    class Unhealthy(DockyardError):
        host, name = "10.0.0.1", "demo-web-v2"
        logs = "\n".join(f"log {i}" for i in range(100))

    lines = failure_details(Unhealthy("10.0.0.1: web: demo-web-v2 did not become healthy"))
    assert lines[0] == "  [10.0.0.1] last log lines of demo-web-v2:"
    assert lines[1:] == [f"  [10.0.0.1]   log {i}" for i in range(100 - LOG_LINES, 100)]


async def test_the_cli_prints_the_error_line_then_what_it_cannot_hold(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = await refused_deploy()
    assert isinstance(error, DeployFailed)

    def failing(**kwargs: object) -> None:
        raise error

    monkeypatch.setattr(main.cli, "main", failing)
    with pytest.raises(SystemExit) as exited:
        main.run(["deploy"])
    assert exited.value.code == 1
    printed = capsys.readouterr()
    assert printed.err == error_line(error) + "\n"  # stderr holds the one line
    assert printed.out.splitlines() == failure_details(error)


async def test_verbose_adds_the_traceback_above_and_the_commands_below(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    error = await refused_deploy()

    def failing(**kwargs: object) -> None:
        raise error

    monkeypatch.setattr(main.cli, "main", failing)
    with pytest.raises(SystemExit):
        main.run(["deploy", "-v"])
    printed = capsys.readouterr()
    assert printed.err.startswith("Traceback (most recent call last):")
    assert printed.err.endswith("\n" + error_line(error) + "\n")
    assert printed.out.splitlines() == failure_details(error, verbose=True)

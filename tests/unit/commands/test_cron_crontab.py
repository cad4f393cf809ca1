"""The crontab edits of the scheduler's commands, run by sh against a stand-in `crontab` (a
script keeping the table in a file, as Debian's prints and takes it): the app's lines replaced,
everything else kept, nothing written when nothing changes, nothing written when the table
cannot be read, a warning line when the host has no crontab command; the stop removes them.
Podman's start-at-boot line (commands/server.py) beside them, and what it runs at boot."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from dockyard.commands.cron import crontab_lines, set_crontab, stop_scheduler
from dockyard.commands.server import START_AT_BOOT_MARK, start_at_boot
from dockyard.engine import DOCKER, PODMAN

# -l: the table, or Debian's message and exit 1 when there is none; FILE or -: the new table
# (each write counted); LIST_FAILS: `crontab -l` fails as a denied user's does
FAKE_CRONTAB = """#!/bin/sh
t="$CRONTAB_DIR/table"
if [ "$1" = -l ]; then
  [ -z "${LIST_FAILS:-}" ] || { echo "you are not allowed to use this program" >&2; exit 1; }
  [ -f "$t" ] || { echo "no crontab for $(id -un)" >&2; exit 1; }
  cat "$t"; exit 0
fi
if [ "$1" = - ]; then cat > "$t.new"; else cat "$1" > "$t.new"; fi
mv "$t.new" "$t"; echo x >> "$CRONTAB_DIR/writes"
"""
USER_LINES = "MAILTO=ops@example.com\n0 4 * * * /usr/local/bin/backup\n"
OTHER_APP = "* * * * * true # dockyard-cron:shop-staging:\n"


@pytest.fixture
def here(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "crontab").write_text(FAKE_CRONTAB)
    (bin_dir / "crontab").chmod(0o755)
    (tmp_path / "cron").mkdir()
    return tmp_path


def run(here: Path, script: str, **env: str) -> str:
    done = subprocess.run(
        ["sh", "-c", script], cwd=here / "cron", capture_output=True, text=True, check=True,
        env={"PATH": f"{here / 'bin'}:{os.environ['PATH']}", "CRONTAB_DIR": str(here),
             "HOME": str(here), **env},
    )  # fmt: skip
    assert done.stderr == ""
    return done.stdout


def table(here: Path) -> str:
    return (here / "table").read_text()


def writes(here: Path) -> int:
    path = here / "writes"
    return len(path.read_text().splitlines()) if path.exists() else 0


OURS = "".join(f"{line}\n" for line in crontab_lines(DOCKER, "shop"))


def test_setting_replaces_the_apps_lines_keeps_the_rest_and_writes_once(here: Path) -> None:
    (here / "table").write_text(USER_LINES + "@reboot old line # dockyard-cron:shop:\n" + OTHER_APP)
    edit = set_crontab("shop", crontab_lines(DOCKER, "shop"))
    assert run(here, edit) == ""
    assert table(here) == USER_LINES + OTHER_APP + OURS
    assert run(here, edit) == "" and writes(here) == 1  # the same lines: not written again
    assert list((here / "cron").iterdir()) == []  # its temporary files removed


def test_setting_on_a_user_without_a_crontab(here: Path) -> None:
    assert run(here, set_crontab("shop", crontab_lines(DOCKER, "shop"))) == ""
    assert table(here) == OURS


def test_a_crontab_that_cannot_be_read_is_left_alone_with_a_warning_line(here: Path) -> None:
    (here / "table").write_text(USER_LINES)
    said = run(here, set_crontab("shop", crontab_lines(DOCKER, "shop")), LIST_FAILS="1")
    assert said == "no-restart-at-boot: crontab -l: you are not allowed to use this program\n"
    assert table(here) == USER_LINES and writes(here) == 0


def test_a_host_without_crontab_gets_a_warning_line(here: Path, tmp_path: Path) -> None:
    tools = tmp_path / "tools"  # what the edit needs, but no crontab
    tools.mkdir()
    for tool in ("grep", "cmp", "head", "rm", "cat"):
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)
    done = subprocess.run(
        ["/bin/sh", "-c", set_crontab("shop", crontab_lines(DOCKER, "shop"))],
        cwd=here / "cron", capture_output=True, text=True, check=True, env={"PATH": str(tools)},
    )  # fmt: skip
    assert done.stdout == "no-restart-at-boot: the host has no crontab command\n"


def test_stopping_disables_the_scheduler_and_removes_only_the_apps_lines(here: Path) -> None:
    cron = here / ".dockyard/apps/shop/cron"
    cron.mkdir(parents=True)
    (cron / "enabled").touch()
    (here / "table").write_text(USER_LINES + OURS + OTHER_APP)
    said = run(here, stop_scheduler("shop").render())
    assert said == "last=\nruns-still-going:\n"
    assert table(here) == USER_LINES + OTHER_APP
    assert not (cron / "enabled").exists()
    run(here, stop_scheduler("shop").render())
    assert writes(here) == 1  # no line of the app left: not written again


def boot_line(here: Path) -> str:
    """The engine's start-at-boot line in the table, its command as cron runs it."""
    lines = [line for line in table(here).splitlines() if line.endswith(START_AT_BOOT_MARK)]
    assert len(lines) == 1 and lines[0].startswith("@reboot "), table(here)
    return lines[0].removeprefix("@reboot ")


def test_podmans_start_at_boot_line_is_set_once_beside_the_schedulers(here: Path) -> None:
    (here / "table").write_text(USER_LINES + OURS)
    edit = start_at_boot(PODMAN).render()
    assert run(here, edit) == "" and run(here, edit) == ""
    assert writes(here) == 1
    assert table(here).startswith(USER_LINES + OURS)
    state = here / "cron" / ".dockyard"  # run from the SSH user's home (here: the cwd)
    assert state.is_dir() and list(state.iterdir()) == []


# a stand-in podman: `ps` prints IDS (the containers found `created` again after the boot, with
# a restart policy), `start` records its arguments
FAKE_PODMAN = """#!/bin/sh
echo "$*" >> "$CRONTAB_DIR/podman-calls"
[ "$1" = ps ] && printf '%s' "$IDS"
exit 0
"""


@pytest.mark.parametrize(("ids", "started"), [("a1\nb2\n", ["start a1 b2"]), ("", [])])
def test_at_boot_podman_starts_the_containers_found_created_with_a_restart_policy(
    here: Path, ids: str, started: list[str]
) -> None:
    (here / "bin" / "podman").write_text(FAKE_PODMAN)
    (here / "bin" / "podman").chmod(0o755)
    run(here, start_at_boot(PODMAN).render())
    line = boot_line(here).replace("PATH=", f"PATH={here / 'bin'}:", 1)
    run(here, line, IDS=ids)
    calls = (here / "podman-calls").read_text().splitlines()
    assert calls == [
        "ps --all --quiet --filter status=created --filter restart-policy=unless-stopped "
        "--filter restart-policy=always",
        *started,
    ]

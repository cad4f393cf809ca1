"""`app version`: each role's versions on a host newest first, the live one marked (after a
rollback it is not the newest), in the config's role order, from one listing."""

from __future__ import annotations

from pathlib import Path

from dockyard.cli.app import version_line
from dockyard.plan.from_config import Selection
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.app import manage
from dockyard.workflows.app.containers import RoleVersions
from tests.unit.workflows.test_session_commands import session

# Docker lists newest first; Podman oldest first: the order comes from the creation times.
LISTING = (
    "demo-worker-v1\texited\t2026-12-01 10:00:00\tw1\n"
    "demo-web-v1\texited\t2026-12-01 10:00:00\ta1\n"
    "demo-web-v3\texited\t2026-12-03 10:00:00\ta3\n"
    "demo-web-v2\trunning\t2026-12-02 10:00:00\ta2\n"
    "demo-worker-v2\trunning\t2026-12-02 10:00:00\tw2\n"
    "demo-web-v3_replaced_0123456789abcdef\texited\t2026-12-03 09:00:00\tx\n"
)


def test_newest_first_with_the_one_that_serves_after_a_rollback(tmp_path: Path) -> None:
    fake = FakeTransport({"docker ps": Reply(stdout=LISTING)})
    found = manage.versions(session(fake, tmp_path, selection=Selection(hosts=("10.0.0.2",))))
    assert found == {"10.0.0.2": {"web": RoleVersions(("v3", "v2", "v1"), "v2", True)}}
    assert len(fake.commands_on("10.0.0.2")) == 1  # one listing, whatever the roles


def test_a_worker_runs_and_a_role_with_none_running_says_so(tmp_path: Path) -> None:
    fake = FakeTransport({"docker ps": Reply(stdout=LISTING)})
    found = manage.versions(session(fake, tmp_path, selection=Selection(hosts=("10.0.0.3",))))
    assert found == {"10.0.0.3": {"worker": RoleVersions(("v2", "v1"), "v2", False)}}
    assert version_line("web", RoleVersions(("v3", "v2", "v1"), "v2", True)) == (
        "web: v3, v2 (live), v1"
    )
    assert version_line("worker", RoleVersions(("v2", "v1"), "v2", False)) == (
        "worker: v2 (running), v1"
    )
    assert version_line("web", RoleVersions(("v1",), None, True)) == "web: v1 (none runs)"

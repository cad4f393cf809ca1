"""Every read command fails, in one line, when what it was asked about is on none of the
selected hosts (a role, a host, the app's containers, an accessory's, the proxy, the audit
log); a host that lacks it while another has it stays in the answer, empty. On the scripted
transport, through the workflow each command calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dockyard.commands.logs import LogQuery
from dockyard.config import parse_config
from dockyard.errors import NotFoundError, UsageError
from dockyard.plan.from_config import Selection
from dockyard.plan.targets import check_selection, selected_app_hosts
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import manage as accessories
from dockyard.workflows.app import logs as app_logs
from dockyard.workflows.app import manage, overview
from dockyard.workflows.proxy import manage as proxy
from dockyard.workflows.session import Session
from tests.unit.workflows.test_session_commands import CONFIG, session

DEPLOY_IT = "deploy it with `dockyard deploy` (`dockyard setup` on a new server)"
WEB = Selection(hosts=("10.0.0.1", "10.0.0.2"))
NO_CONTAINER = Reply(3)  # what a guarded read exits with when its container does not exist


def config() -> Any:
    return parse_config([("config/deploy.yml", CONFIG)], version="unknown")


def not_found(read: Callable[[Session], object], fake: FakeTransport, tmp: Path) -> str:
    with pytest.raises(NotFoundError) as caught:
        read(session(fake, tmp, selection=WEB))
    return str(caught.value)


def test_a_role_or_host_the_config_does_not_have_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        check_selection(config(), Selection(roles=("wrker",)))
    assert str(caught.value) == "no role matches --roles wrker; the roles are web, worker"
    with pytest.raises(UsageError) as caught:
        check_selection(config(), Selection(hosts=("10.9.9.*",)))
    assert str(caught.value) == (
        "no host matches --hosts 10.9.9.*; the hosts are 10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.9"
    )
    check_selection(config(), Selection(hosts=("10.0.0.9",), roles=("web", "nosuch")))  # Kamal's


def test_a_selection_that_leaves_no_app_host_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        selected_app_hosts(config(), Selection(hosts=("10.0.0.1",), roles=("worker",)))
    assert str(caught.value) == (
        "no host of the app matches --hosts 10.0.0.1 --roles worker; the app's hosts are "
        "10.0.0.1, 10.0.0.2, 10.0.0.3"
    )


def test_app_containers_versions_images_and_details_of_an_app_never_deployed(
    tmp_path: Path,
) -> None:
    empty = FakeTransport({"docker": Reply(stdout="")})
    assert not_found(manage.containers, empty, tmp_path) == (
        f"demo has no container on 10.0.0.1, 10.0.0.2; {DEPLOY_IT}"
    )
    assert not_found(manage.versions, empty, tmp_path) == (
        "no version of demo runs on 10.0.0.1, 10.0.0.2; `dockyard app containers` lists its "
        f"containers; {DEPLOY_IT}"
    )
    assert not_found(manage.images, empty, tmp_path) == (
        f"demo has no image on 10.0.0.1, 10.0.0.2; {DEPLOY_IT}"
    )
    proxy_line = "/dockyard-proxy\tcaddy\trunning\t0\t\t\t\t\t\t\n\0"
    only_proxy = FakeTransport({"docker ps": Reply(stdout=proxy_line)})
    assert not_found(overview.details, only_proxy, tmp_path) == (
        f"demo has no container on 10.0.0.1, 10.0.0.2; {DEPLOY_IT}"
    )
    assert not_found(overview.audit, FakeTransport({"tail": Reply(1)}), tmp_path) == (
        "demo has no audit log on 10.0.0.1, 10.0.0.2; a deploy writes it (`dockyard deploy`)"
    )


def test_app_logs_of_a_role_with_no_container_anywhere_and_on_one_host(tmp_path: Path) -> None:
    fake = FakeTransport({"docker logs": NO_CONTAINER})
    assert not_found(lambda s: app_logs.logs(s, LogQuery.kamal()), fake, tmp_path) == (
        f"demo has no running container of role web on 10.0.0.1, 10.0.0.2; {DEPLOY_IT}"
    )
    everywhere = session(fake, tmp_path)  # web on .1 and .2, worker on .3
    with pytest.raises(NotFoundError, match="no running container of roles web, worker on "):
        app_logs.logs(everywhere, LogQuery.kamal())
    with pytest.raises(NotFoundError, match=r"^no container 4f2a on 10\.0\.0\.1, 10\.0\.0\.2; "):
        app_logs.logs(session(fake, tmp_path, selection=WEB), LogQuery.kamal(), container="4f2a")
    fake = FakeTransport({"docker logs": Reply(stdout="GET /up 200\n")})
    fake.on("10.0.0.2", "docker logs", NO_CONTAINER)
    found = app_logs.logs(session(fake, tmp_path, selection=WEB), LogQuery.kamal())
    assert found == {"10.0.0.1": {"web": ["GET /up 200"]}, "10.0.0.2": {"web": None}}


def test_logs_with_no_line_yet_are_an_answer(tmp_path: Path) -> None:
    quiet = FakeTransport({"docker logs": Reply(stdout="")})
    selected = session(quiet, tmp_path, selection=WEB)
    assert app_logs.logs(selected, LogQuery.kamal()) == {
        "10.0.0.1": {"web": []},
        "10.0.0.2": {"web": []},
    }
    assert proxy.logs(selected, LogQuery(lines=10)) == {"10.0.0.1": [], "10.0.0.2": []}
    assert accessories.logs(session(quiet, tmp_path), "db", LogQuery(lines=10)) == {"10.0.0.9": []}


def test_a_version_that_runs_nowhere_but_is_kept(tmp_path: Path) -> None:
    kept = "demo-web-v1\texited\t2026-12-01 10:00:00\tabc\n"
    fake = FakeTransport({"docker ps": Reply(stdout=kept)})
    assert not_found(manage.versions, fake, tmp_path).startswith("no version of demo runs on ")


def test_accessory_details_and_logs_of_one_never_booted(tmp_path: Path) -> None:
    fake = FakeTransport({"docker ps": Reply(stdout=""), "docker logs": NO_CONTAINER})
    selected = session(fake, tmp_path)
    boot_it = "boot it with `dockyard accessory boot db`"
    with pytest.raises(NotFoundError) as caught:
        accessories.details(selected, "db")
    assert str(caught.value) == f"db has no container on 10.0.0.9; {boot_it}"
    with pytest.raises(NotFoundError) as caught:
        accessories.logs(selected, "db", LogQuery(lines=10))
    assert str(caught.value) == f"db has no container on 10.0.0.9; {boot_it}"
    with pytest.raises(NotFoundError) as caught:
        accessories.details(selected, "all")
    assert str(caught.value) == (
        "no accessory has a container on 10.0.0.9; boot it with `dockyard accessory boot all`"
    )


def test_proxy_details_and_logs_where_it_never_ran(tmp_path: Path) -> None:
    boot_it = "boot it with `dockyard proxy boot` (a deploy boots it too)"
    state = "/home/deploy\0\0missing\n\0\0"
    fake = FakeTransport({"ps --all": Reply(stdout=""), "printf": Reply(stdout=state)})
    assert not_found(proxy.details, fake, tmp_path) == (
        f"the proxy has no container (dockyard-proxy) on 10.0.0.1, 10.0.0.2; {boot_it}"
    )
    fake = FakeTransport({"docker logs": NO_CONTAINER})
    assert not_found(lambda s: proxy.logs(s, LogQuery(lines=5)), fake, tmp_path) == (
        f"the proxy has no container (dockyard-proxy) on 10.0.0.1, 10.0.0.2; {boot_it}"
    )

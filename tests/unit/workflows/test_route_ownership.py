"""A deploy or a proxied accessory that would take a host another app serves on the proxy is
refused before anything changes on any server: the route files of each proxy host are read
(nothing is created), then the command stops, before the build, the lock, the hooks, setup's
engine and accessories. A deploy checks again under its lock, in its first trip to each proxy
host (no trip added there), and releases the lock when it refuses."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from dockyard.commands import lock as lock_commands
from dockyard.commands import proxy as proxy_commands
from dockyard.commands.caddy_config import AppRoute
from dockyard.config import parse_config
from dockyard.config.objects import Config
from dockyard.engine import DOCKER
from dockyard.errors import HostsFailed, RouteTakenError
from dockyard.plan import routes
from dockyard.plan.from_config import deploy_plan
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import manage
from dockyard.workflows.deploy import release
from dockyard.workflows.deploy.deploy import DeployOptions, deploy
from dockyard.workflows.proxy.ownership import refuse_taken_routes
from dockyard.workflows.session import Request, Session
from tests.unit.workflows.faults import Failure, each_step_failing, one_line

APP = """
service: shop
image: demo
registry: {server: registry.lab:5000, username: u, password: [REGISTRY_PASSWORD]}
builder: {arch: amd64}
servers: [10.0.0.1, 10.0.0.2]
proxy: {host: www.example.com}
accessories:
  search:
    image: search:1
    host: 10.0.0.1
    proxy: {host: blog.example.com, path_prefix: /search}
"""
BLOG = AppRoute("blog-web", app="blog", hosts=("www.example.com",))
SEARCH = AppRoute("blog-search", app="blog", hosts=("blog.example.com",),
                  path_prefixes=("/search",))  # fmt: skip
READ_STATE = proxy_commands.read_state(DOCKER).render()
READ_ROUTES = proxy_commands.read_routes().render()
SHOP_REFUSED = (
    "10.0.0.1, 10.0.0.2: www.example.com is served by the app blog (route blog-web); "
    "shop-web would take it over: choose another proxy host or path prefix, or run again "
    "with --take-over-routes to take it over on purpose"
)
SEARCH_REFUSED = (
    "10.0.0.1: blog.example.com/search is served by the app blog (route blog-search); "
    "accessory:shop-search would take it over: choose another proxy host or path prefix, or "
    "run again with --take-over-routes to take it over on purpose"
)


def served(*served_routes: AppRoute) -> FakeTransport:
    """Servers whose running proxy serves these routes (its state, or its route files alone)."""
    files = "".join(r.to_json() + "\0" for r in served_routes)
    state = "\0".join(["/root", "{}", "true", ""]) + "\0" + files
    replies = {READ_ROUTES: Reply(stdout=files), "find ": Reply(stdout=state)}
    return FakeTransport(replies, default_timeout=30)


def config_of() -> Config:
    return parse_config([("config/deploy.yml", APP)], version="v2")


def session(fake: FakeTransport, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Session:
    """A session of the app in tmp_path (its config and secrets there, for another version)."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(APP)
    (tmp_path / ".kamal").mkdir()
    (tmp_path / ".kamal" / "secrets").write_text("REGISTRY_PASSWORD=x\n")
    monkeypatch.chdir(tmp_path)

    def connect(options: object) -> FakeTransport:
        return fake

    return Session(config_of(), Request(), root=tmp_path, connect=connect)  # type: ignore[arg-type]


def test_a_deploy_is_refused_before_anything_changes_on_any_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served(BLOG, SEARCH)
    with pytest.raises(RouteTakenError) as caught:
        release.deploy(session(fake, tmp_path, monkeypatch), build=True)
    assert str(caught.value) == SHOP_REFUSED
    assert [call.text for call in fake.calls] == [READ_ROUTES, READ_ROUTES]  # no build, no pull
    assert fake.commands_on("10.0.0.2") == [READ_ROUTES]
    assert fake.closed


@pytest.mark.parametrize("entry", ["redeploy", "rollback", "boot_again"])
def test_redeploy_rollback_and_app_boot_are_refused_first_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entry: str
) -> None:
    fake = served(BLOG)
    with pytest.raises(RouteTakenError, match=f"^{re.escape(SHOP_REFUSED)}$"):
        if entry == "redeploy":
            release.redeploy(session(fake, tmp_path, monkeypatch), build=False)
        elif entry == "rollback":
            release.rollback(session(fake, tmp_path, monkeypatch), "v1")
        else:
            again = replace(session(fake, tmp_path, monkeypatch), request=Request(version="v1"))
            release.boot_again(again)
    assert [call.text for call in fake.calls] == [READ_ROUTES, READ_ROUTES]


def test_setup_checks_its_accessories_routes_before_the_engine_and_accessories(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served(SEARCH)  # the app's own host is free: the accessory's prefix is not
    with pytest.raises(RouteTakenError) as caught:
        release.setup(session(fake, tmp_path, monkeypatch), build=True)
    assert str(caught.value) == SEARCH_REFUSED
    assert [call.text for call in fake.calls] == [READ_ROUTES, READ_ROUTES]


@pytest.mark.parametrize("verb", ["boot", "reboot", "start", "restart"])
def test_a_proxied_accessory_is_refused_before_it_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verb: str
) -> None:
    fake = served(BLOG, SEARCH)
    with pytest.raises(RouteTakenError) as caught:
        if verb == "boot":
            manage.boot(session(fake, tmp_path, monkeypatch), "search")
        elif verb == "reboot":
            manage.reboot(session(fake, tmp_path, monkeypatch), "search")
        else:
            manage.control(session(fake, tmp_path, monkeypatch), "search", verb)
    assert str(caught.value) == SEARCH_REFUSED
    assert fake.commands_on("10.0.0.1") == [READ_ROUTES]


def test_stopping_an_accessory_reads_no_route(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = served(BLOG, SEARCH)
    with pytest.raises(HostsFailed, match="shop-search does not exist"):
        manage.control(session(fake, tmp_path, monkeypatch), "search", "stop")
    assert READ_ROUTES not in fake.commands_on("10.0.0.1")


async def test_with_take_over_routes_nothing_is_read_first() -> None:
    fake = served(BLOG)
    plan = deploy_plan(config_of(), {"REGISTRY_PASSWORD": "x"})
    await release.routes_free(fake, plan, DeployOptions(take_over_routes=True))  # type: ignore[arg-type]
    assert fake.calls == []
    with pytest.raises(RouteTakenError):
        await release.routes_free(fake, plan, DeployOptions())  # type: ignore[arg-type]


async def test_a_failing_read_of_the_routes_is_one_line_and_nothing_follows() -> None:
    ours = routes.deploy_routes(deploy_plan(config_of(), {"REGISTRY_PASSWORD": "x"}))

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        line = one_line(error)
        if error is None or "\n" in line or failure.call.host not in line:
            return f"not one line naming the host: {line!r}"
        if any(call.text != READ_ROUTES for call in fake.calls):
            return "something ran besides reading the routes"
        return ""

    async def run(fake: FakeTransport) -> None:
        await refuse_taken_routes(fake, DOCKER, ours)

    assert await each_step_failing(lambda: served(SEARCH), run, check) == []


async def test_under_the_lock_a_deploy_is_refused_in_its_first_trip_to_each_proxy() -> None:
    """What another app took after the release's check: refused, the lock released."""
    fake = served(BLOG, SEARCH)
    with pytest.raises(RouteTakenError) as caught:
        await deploy(fake, deploy_plan(config_of(), {"REGISTRY_PASSWORD": "x"}), DeployOptions())
    assert str(caught.value) == SHOP_REFUSED
    primary = fake.commands_on("10.0.0.1")
    assert primary[0].startswith(
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir "$HOME/.dockyard/lock-shop"'
    )
    assert primary[1:] == [READ_STATE, lock_commands.release("shop", None).render()]
    assert fake.commands_on("10.0.0.2") == [READ_STATE]

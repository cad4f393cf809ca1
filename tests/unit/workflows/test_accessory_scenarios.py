"""`accessory boot|reboot|start|stop|restart|remove` on the scripted transport: the exact steps
per host, then every step failing (exit 1, a dropped connection, no answer).

The fake keeps each host's containers as the steps that succeeded left them (a failing step
changes nothing), so a check can ask what a failed run left behind: a running accessory is left
running unless the run says otherwise, and what is left is said, with how to clear it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from dockyard.redaction import Secret
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.accessories import booting, lifecycle
from dockyard.workflows.accessories.context import AccessoryContext
from dockyard.workflows.accessories.lifecycle import secret_names
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server
from tests.unit.workflows.accessory_world import (
    HOSTS,
    SECRETS,
    assert_none,
    context,
    ends_cleanly,
    faults_of,
)
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path

Step = Callable[[Server, AccessoryContext], Awaitable[str]]


class Containers:
    """Each host's containers (name -> state) on a fake, changed by the steps that succeed."""

    def __init__(self, fake: FakeTransport, running: tuple[str, ...]) -> None:
        self.state = {host: dict.fromkeys(running, "running") for host in HOSTS}
        self.fake = fake
        fake.first(self.reply)

    def reply(self, host: str, wire: str) -> Reply | None:
        have = self.state[host]
        if wire.startswith("docker ps --all --filter 'name=^"):
            name = wire.split("^", 1)[1].split("$", 1)[0]
            return Reply(stdout=f"{name}\t{have[name]}\n" if name in have else "")
        words = wire.split()
        if words[:2] == ["docker", "stop"]:
            if words[2] in have:
                have[words[2]] = "exited"
        elif words[:3] == ["docker", "rm", "--force"]:
            have.pop(words[3], None)
        elif words[:2] == ["docker", "start"] or words[:2] == ["docker", "restart"]:
            have[words[2]] = "running"
        elif "docker run " in wire:
            have[wire.split(" --name ", 1)[1].split()[0]] = "running"
        return None  # what it prints is the general rules' business


def make(running: tuple[str, ...] = ()) -> Callable[[], FakeTransport]:
    def make_fake() -> FakeTransport:
        fake = FakeTransport(default_timeout=30)
        fake.containers = Containers(fake, running)  # type: ignore[attr-defined]
        return fake

    return make_fake


def containers(fake: FakeTransport, host: str) -> dict[str, str]:
    found: Containers = fake.containers  # type: ignore[attr-defined]
    return found.state[host]


def runner(ctx: AccessoryContext, step: Step) -> Callable[[FakeTransport], Awaitable[object]]:
    """On every host of the accessory, as the CLI runs it."""

    async def run(fake: FakeTransport) -> object:
        servers = [Server(fake, host, ctx.engine) for host in ctx.accessory.hosts]
        return await on_servers(servers, lambda server: step(server, ctx))

    return run


@pytest.fixture
def pg(tmp_path: Path) -> AccessoryContext:
    return context(tmp_path, "pg")


BOOT_10_0_0_1 = [
    "docker ps --all --filter 'name=^shop-pg$' --format '{{.Names}}\t{{.State}}'",
    "docker network inspect kamal >/dev/null 2>&1 || docker network create kamal",
    'mkdir -p "$HOME/shop-pg" "$HOME/shop-pg/data" "$HOME/shop-pg/etc/shop" && chmod 700 '
    '"$HOME/shop-pg"',
    'chmod 755 "$HOME/shop-pg/etc/shop/notes.conf"',
    'mkdir -p "$HOME/.kamal/apps/shop/env/accessories" && (umask 077 && cat > '
    '"$HOME/.kamal/apps/shop/env/accessories/pg.env.tmp") && mv -f '
    '"$HOME/.kamal/apps/shop/env/accessories/pg.env.tmp" '
    '"$HOME/.kamal/apps/shop/env/accessories/pg.env" && docker run --name shop-pg --detach '
    "--restart unless-stopped --network kamal --log-opt max-size=10m --env POSTGRES_USER=shop "
    "--env POSTGRES_DB=shop "
    '--env KAMAL_HOST=10.0.0.1 --env-file "$HOME/.kamal/apps/shop/env/accessories/pg.env" '
    '--volume "$HOME/shop-pg/etc/shop/notes.conf:/etc/shop/notes.conf" '
    '--volume "$HOME/shop-pg/data:/var/lib/postgresql/data" --label service=shop-pg '
    "postgres:15",
    'mkdir -p "$HOME/.dockyard/backups/shop-pg" "$HOME/.dockyard/accessories/shop-pg"',
    "docker rm --force shop-pg-backup || true",
    "docker run --detach --restart unless-stopped --name shop-pg-backup --network kamal "
    "--user 0 --entrypoint /bin/sh --env POSTGRES_USER=shop --env POSTGRES_DB=shop "
    "--env KIND=postgres --env PREFIX=shop-pg --env EXT=pgdump --env KEEP=3 --env MAX_AGE= "
    "--env DB_HOST=shop-pg --env 'CRON_MINUTES= 0 ' --env 'CRON_HOURS= 3 ' "
    "--env 'CRON_DAYS= 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 "
    "28 29 30 31 ' --env 'CRON_MONTHS= 1 2 3 4 5 6 7 8 9 10 11 12 ' "
    "--env 'CRON_WEEKDAYS= 0 1 2 3 4 5 6 ' --env CRON_DAY_OR=0 "
    '--env-file "$HOME/.kamal/apps/shop/env/accessories/pg.env" '
    '--volume "$HOME/.dockyard/backups/shop-pg:/backups" '
    '--volume "$HOME/.dockyard/accessories/shop-pg:/dockyard:ro" --label service=shop-pg '
    "--label dockyard-backup=pg --log-opt max-size=10m postgres:15 /dockyard/schedule.sh",
]


async def test_boot_makes_the_files_the_env_file_the_container_and_its_backup_container(
    pg: AccessoryContext,
) -> None:
    fake = make()()
    assert await runner(pg, lifecycle.boot_on_host)(fake) == {
        "10.0.0.1": "shop-pg booted",
        "10.0.0.2": "shop-pg booted",
    }
    assert fake.commands_on("10.0.0.1") == BOOT_10_0_0_1
    assert fake.commands_on("10.0.0.2") == [
        c.replace("KAMAL_HOST=10.0.0.1", "KAMAL_HOST=10.0.0.2") for c in BOOT_10_0_0_1
    ]
    uploads = [(u.path, u.mode) for u in fake.uploads["10.0.0.1"]]
    assert uploads == [
        ("shop-pg/etc/shop/notes.conf", 0o600),
        (".dockyard/accessories/shop-pg/backup.sh", 0o755),
        (".dockyard/accessories/shop-pg/schedule.sh", 0o755),
        (".dockyard/accessories/shop-pg/s3.sh", 0o755),
        (".dockyard/accessories/shop-pg/verify.sh", 0o755),
    ]
    assert [c.kind for c in fake.calls].count("upload") == 10
    assert fake.inputs["10.0.0.1"][4] == "POSTGRES_PASSWORD=pg-secret\n"


def boot_check(ctx: AccessoryContext) -> Callable[..., str]:
    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        wrong = ends_cleanly(failure, error, ctx)
        if wrong:
            return wrong
        host, line = failure.call.host, str(error)
        have = containers(fake, host)
        made = "docker run --name shop-pg" in failure.call.text or "shop-pg" in have
        if not made:
            return "" if "no container was made" in line else f"it does not say so: {line}"
        if "docker run --name shop-pg" in failure.call.text:
            if "shop-pg" in have:
                return f"a half-made container is left: {have}"
            return "" if "no container was left" in line else f"it does not say so: {line}"
        # the accessory runs: its backup container is missing, and the error says how to fix it
        if have.get("shop-pg") != "running" or "accessory reboot pg" not in line:
            return f"shop-pg {have}, and the error: {line}"
        return ""

    return check


async def test_boot_failing_at_any_step_says_what_it_left(pg: AccessoryContext) -> None:
    steps = await happy_path(make(), runner(pg, lifecycle.boot_on_host))
    assert len(steps) == 26
    assert_none(await each_step_failing(make(), runner(pg, lifecycle.boot_on_host), boot_check(pg)))


LEFTOVERS = ("created", "exited", "restarting")


def make_left(state: str) -> Callable[[], FakeTransport]:
    """shop-pg's container left in `state` on every host by a run that failed."""

    def make_fake() -> FakeTransport:
        fake = make()()
        for host in HOSTS:
            containers(fake, host)["shop-pg"] = state
        return fake

    return make_fake


@pytest.mark.parametrize("state", LEFTOVERS)
async def test_boot_replaces_a_container_a_failed_run_left(
    pg: AccessoryContext, state: str
) -> None:
    fake = make_left(state)()
    booted = f"shop-pg booted (replacing the {state} container an earlier run left)"
    assert await runner(pg, lifecycle.boot_on_host)(fake) == dict.fromkeys(HOSTS, booted)
    assert fake.commands_on("10.0.0.1") == [
        BOOT_10_0_0_1[0],
        "docker rm --force shop-pg",
        BOOT_10_0_0_1[0],
        *BOOT_10_0_0_1[1:],
    ]
    assert containers(fake, "10.0.0.2") == {"shop-pg": "running", "shop-pg-backup": "running"}


async def test_boot_keeps_a_running_container(pg: AccessoryContext) -> None:
    fake = make(("shop-pg",))()
    kept = "shop-pg already exists (running); `accessory reboot` replaces it"
    assert await runner(pg, lifecycle.boot_on_host)(fake) == dict.fromkeys(HOSTS, kept)
    assert fake.commands_on("10.0.0.1") == [BOOT_10_0_0_1[0]]


async def test_boot_routes_a_running_proxied_container_again(
    pg: AccessoryContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a proxied accessory that failed its health check was left running and unrouted: booting
    # it again checks and routes it (its route() is the proxied path, tested end to end)
    routed: list[str] = []

    async def route(ctx: AccessoryContext, server: Server, proxied: object = None) -> str:
        routed.append(server.host)
        return "; served by the proxy at pg.test"

    monkeypatch.setattr(AccessoryContext, "route", route)
    fake = make(("shop-pg",))()
    kept = "shop-pg already exists (running); `accessory reboot` replaces it"
    done = await runner(pg, lifecycle.boot_on_host)(fake)
    assert done == dict.fromkeys(HOSTS, kept + "; served by the proxy at pg.test")
    assert sorted(routed) == sorted(HOSTS)
    assert fake.commands_on("10.0.0.1") == [BOOT_10_0_0_1[0]]


def leftover_check(ctx: AccessoryContext, state: str) -> Callable[..., str]:
    """While the leftover is there, the error says how to replace it (or that this run made
    none, when its state could not be read); once removed, a boot's own rules hold."""
    boot = boot_check(ctx)

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        wrong = ends_cleanly(failure, error, ctx)
        if wrong:
            return wrong
        line, have = str(error), containers(fake, failure.call.host)
        replaces = "`dockyard accessory boot pg` replaces it" in line
        if "shop-pg" not in have and replaces and "may be left" in line:
            return ""  # removed, but the check that it is gone failed: it cannot know
        if have.get("shop-pg") != state:
            return boot(failure, fake, error)
        if replaces or "no container was made" in line:
            return ""
        return f"shop-pg is left {state} and the error does not say so: {line}"

    return check


@pytest.mark.parametrize("state", LEFTOVERS)
async def test_boot_over_a_leftover_failing_at_any_step_says_what_it_left(
    pg: AccessoryContext, state: str
) -> None:
    make_fake, run = make_left(state), runner(pg, lifecycle.boot_on_host)
    steps = await happy_path(make_fake, run)
    assert len(steps) == 30
    assert_none(await each_step_failing(make_fake, run, leftover_check(pg, state), steps))


async def test_boot_stops_when_the_leftover_cannot_be_removed(pg: AccessoryContext) -> None:
    fake = make_left("created")()
    fake.on("10.0.0.1", "docker rm --force shop-pg", lambda h, w: Reply(1, "", "busy"))
    with pytest.raises(Exception) as raised:
        await runner(pg, lifecycle.boot_on_host)(fake)
    assert str(raised.value).endswith(
        "10.0.0.1: booting pg failed: shop-pg is still there (created): `rm --force` says busy; "
        "`dockyard accessory boot pg` replaces it"
    )
    assert not any("docker run" in c for c in fake.commands_on("10.0.0.1"))


async def test_reboot_pulls_before_it_stops_anything(pg: AccessoryContext) -> None:
    fake = make(("shop-pg", "shop-pg-backup"))()
    assert await runner(pg, lifecycle.reboot_on_host)(fake) == {
        "10.0.0.1": "shop-pg rebooted",
        "10.0.0.2": "shop-pg rebooted",
    }
    assert fake.commands_on("10.0.0.1")[:6] == [
        "docker pull --quiet postgres:15",
        "docker rm --force shop-pg-backup || true",
        "docker stop shop-pg || true",
        "docker rm --force shop-pg",
        "docker ps --all --filter 'name=^shop-pg$' --format '{{.Names}}\t{{.State}}'",
        BOOT_10_0_0_1[1],
    ]
    assert fake.commands_on("10.0.0.1")[5:] == BOOT_10_0_0_1[1:]
    assert containers(fake, "10.0.0.2") == {"shop-pg": "running", "shop-pg-backup": "running"}


def reboot_check(ctx: AccessoryContext) -> Callable[..., str]:
    boot = boot_check(ctx)

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        wrong = ends_cleanly(failure, error, ctx)
        if wrong:
            return wrong
        host, line = failure.call.host, str(error)
        have = containers(fake, host)
        if "docker pull" in failure.call.text:  # before anything stopped
            if have != {"shop-pg": "running", "shop-pg-backup": "running"}:
                return f"the pull failed, and the accessory was touched: {have}"
            return "" if "left as it was" in line else f"it does not say so: {line}"
        if "docker run --name shop-pg" in failure.call.text or "shop-pg" not in have:
            return (
                _down(have, line) if "rebooting pg failed" in line else boot(failure, fake, error)
            )
        if have.get("shop-pg") != "running" and "accessory reboot pg" not in line:
            return f"shop-pg is {have.get('shop-pg')} and the error does not say so: {line}"
        return ""

    return check


def _down(have: dict[str, str], line: str) -> str:
    if "may be stopped" in line and "accessory reboot pg" in line:
        return ""
    return f"shop-pg is {have.get('shop-pg', 'gone')} and the error does not say so: {line}"


async def test_reboot_failing_at_any_step_leaves_it_running_or_says_how_to_boot_it(
    pg: AccessoryContext,
) -> None:
    make_fake, run = make(("shop-pg", "shop-pg-backup")), runner(pg, lifecycle.reboot_on_host)
    steps = await happy_path(make_fake, run)
    assert len(steps) == 34
    assert_none(await each_step_failing(make_fake, run, reboot_check(pg), steps, faults_of))


async def test_reboot_stops_when_the_old_container_cannot_be_removed(pg: AccessoryContext) -> None:
    fake = make(("shop-pg",))()
    busy = Reply(1, "", "device or resource busy")
    fake.on(
        "10.0.0.1", "docker rm --force shop-pg", lambda h, w: busy if "backup" not in w else None
    )
    with pytest.raises(Exception) as raised:
        await runner(pg, lifecycle.reboot_on_host)(fake)
    assert "10.0.0.1: rebooting pg failed: shop-pg is still there (exited)" in str(raised.value)
    assert not any("docker run" in c for c in fake.commands_on("10.0.0.1"))


@pytest.mark.parametrize("verb", ["start", "stop", "restart"])
async def test_start_stop_restart_failing_name_host_accessory_and_cause(
    pg: AccessoryContext, verb: str
) -> None:
    async def step(server: Server, ctx: AccessoryContext) -> str:
        return await lifecycle.verb_on_host(server, ctx, verb)

    make_fake, run = make(("shop-pg",)), runner(pg, step)
    steps = await happy_path(make_fake, run)
    assert [c.text.split(" --")[0] for c in steps if c.host == "10.0.0.1"] == [
        "docker ps",
        f"docker {verb} shop-pg",
    ]

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        return ends_cleanly(failure, error, pg)

    assert_none(await each_step_failing(make_fake, run, check, steps))


REMOVE_10_0_0_1 = [
    "docker rm --force shop-pg-backup || true",
    'rm -rf "$HOME/.dockyard/accessories/shop-pg" '
    '"$HOME/.kamal/apps/shop/env/accessories/pg-backup-key.env"',
    "docker stop shop-pg || true",
    "docker rm --force shop-pg",
    "docker ps --all --filter 'name=^shop-pg$' --format '{{.Names}}\t{{.State}}'",
    "docker image rm --force postgres:15 || true",
    'rm -rf "$HOME/shop-pg" "$HOME/.kamal/apps/shop/env/accessories/pg.env"',
]


async def test_remove_takes_the_data_last_once_the_container_is_gone(pg: AccessoryContext) -> None:
    fake = make(("shop-pg", "shop-pg-backup"))()
    await runner(pg, lifecycle.remove_on_host)(fake)
    assert fake.commands_on("10.0.0.1") == REMOVE_10_0_0_1
    assert containers(fake, "10.0.0.1") == {}


async def test_remove_failing_at_any_step_keeps_the_data_of_a_container_still_there(
    pg: AccessoryContext,
) -> None:
    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        wrong = ends_cleanly(failure, error, pg)
        if wrong:
            return wrong
        host, line = failure.call.host, str(error)
        data_gone = 'rm -rf "$HOME/shop-pg"' in " ".join(fake.commands_on(host))
        if data_gone and "shop-pg" in containers(fake, host):
            return "the data went while the container is still there"
        if "accessory remove pg` again" not in line:
            return f"it does not say how to finish: {line}"
        return ""

    make_fake, run = make(("shop-pg", "shop-pg-backup")), runner(pg, lifecycle.remove_on_host)
    steps = await happy_path(make_fake, run)
    assert len(steps) == 14
    assert_none(await each_step_failing(make_fake, run, check, steps))


async def test_boot_all_tries_every_accessory_and_a_second_run_resumes(tmp_path: Path) -> None:
    """pg cannot run on 10.0.0.1 (its mount fails); cache was left exited. Every accessory is
    still tried on every host, and each outcome is told; the next run boots only what is not
    running."""
    pg = context(tmp_path, "pg")
    c, secrets = (
        pg.config,
        {n: Secret(SECRETS[n]) for n in secret_names(pg.config, ["pg", "cache"])},
    )
    fake, broken = make()(), [True]
    containers(fake, "10.0.0.1")["shop-cache"] = "exited"
    mount = Reply(125, "", "docker: Error response from daemon: error mounting: not a directory")
    fake.on("10.0.0.1", "docker run --name shop-pg ", lambda h, w: mount if broken[0] else None)

    async def boot_all() -> list[tuple[str, str, str]]:
        outcomes = await booting.boot_all(fake, c, secrets, root=tmp_path, names=("pg", "cache"))
        error = booting.failures(outcomes, "run it again")
        return [(o.accessory, o.host, o.said) for o in outcomes] + [("", "", str(error))]

    assert await boot_all() == [
        ("pg", "10.0.0.1", "booting pg failed: exited 125: docker: Error response from daemon: "
                           "error mounting: not a directory; no container was left"),
        ("pg", "10.0.0.2", "shop-pg booted"),
        ("cache", "10.0.0.1", "shop-cache booted (replacing the exited container an earlier "
                              "run left)"),
        ("", "", "1 of 3 accessory boots failed: 10.0.0.1 (pg): booting pg failed: exited 125: "
                 "docker: Error response from daemon: error mounting: not a directory; no "
                 "container was left; run it again"),
    ]  # fmt: skip
    broken[0] = False
    assert await boot_all() == [
        ("pg", "10.0.0.1", "shop-pg booted"),
        ("pg", "10.0.0.2", "shop-pg already exists (running); `accessory reboot` replaces it"),
        (
            "cache",
            "10.0.0.1",
            "shop-cache already exists (running); `accessory reboot` replaces it",
        ),
        ("", "", "None"),
    ]
    for host in HOSTS:
        assert set(containers(fake, host).values()) == {"running"}

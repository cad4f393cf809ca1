"""`lb boot` with proxy/ssl: true at two edges (workflows/balancer/acme.py) on the scripted
transport: a first boot (the second edge forwards challenges while the first orders, then
serves a copy; each passes the challenges it cannot answer to the other), a boot with both
already serving, every step failing, and a first edge that obtains no certificate in time."""

from __future__ import annotations

import base64
import io
import json
import tarfile
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from dockyard.commands import edge_mover
from dockyard.config import Config
from dockyard.errors import CertificateError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.balancer import acme, edge, manage
from tests.unit.config.conftest import BASE, parse
from tests.unit.facts.test_edge_state import EXPIRES_2031, EXPIRES_2061
from tests.unit.workflows.deploy_rules import one_line_naming_host_and_cause
from tests.unit.workflows.faults import Failure, each_step_failing, happy_path
from tests.unit.workflows.fleet import transcript
from tests.unit.workflows.test_balancer_scenarios import EDGES, EdgeWorld, polled_after_start
from tests.unit.workflows.test_deploy_scenarios import EXPECTED as EXPECTED_DIR

CONFIG: Config = parse(
    BASE
    + "servers: [10.0.0.1, 10.0.0.2, 10.0.0.3]\n"
    + "proxy: {host: shop.test, ssl: true}\n"
    + "x-dockyard:\n  load_balancer: {hosts: [10.0.0.8, 10.0.0.9], "
    + "acme_ca: 'https://ca.test/dir', acme_ca_root: CA_ROOT}\n"
)
SECRETS = {"CA_ROOT": "-----BEGIN CERTIFICATE-----"}
OWNER, OTHER = EDGES


def stored(*names: str, crt: str = "data") -> str:
    """read_certificates' output: a base64 tar of certificates/<issuer>/<name>/<name>.crt."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in names:
            for kind in ("crt", "key", "json"):
                body = (crt if kind == "crt" else "data").encode()
                info = tarfile.TarInfo(f"certificates/ca.test-dir/{name}/{name}.{kind}")
                info.size = len(body)
                tar.addfile(info, io.BytesIO(body))
    return base64.b64encode(buffer.getvalue()).decode()


def acme_world(
    *, fresh: bool, owner_holds: int = 0, owner_crt: str = "data", other_crt: str = "data"
) -> Callable[[], FakeTransport]:
    """Both edges; the owner holds the certificate from its `owner_holds`+1-th read on; the
    other edge holds one once it was written there (or from the start unless `fresh`); their
    .crt files hold `owner_crt` and `other_crt`."""

    def make() -> FakeTransport:
        world = EdgeWorld() if fresh else EdgeWorld(running=True)
        fake = world.make()
        reads = {OWNER: 0}
        copied = {OTHER: not fresh}

        def owner_read(host: str, wire: str) -> Reply:
            reads[OWNER] += 1
            held = reads[OWNER] > owner_holds
            return Reply(stdout=stored("shop.test", crt=owner_crt) if held else "")

        def other_read(host: str, wire: str) -> Reply:
            return Reply(stdout=stored("shop.test", crt=other_crt) if copied[OTHER] else "")

        def written(host: str, wire: str) -> Reply:
            copied[OTHER] = True
            return Reply()

        fake.on(OWNER, "cp dockyard-edge:/dockyard/acme/certificates -", owner_read)
        fake.on(OTHER, "cp dockyard-edge:/dockyard/acme/certificates -", other_read)
        fake.on(OTHER, "cp - dockyard-edge:/dockyard/acme/", written)
        error = '{"level":"error","msg":"could not get certificate","error":"HTTP 400 refused"}'
        fake.on(OWNER, "logs --tail 500", lambda host, wire: Reply(stdout=error + "\n"))
        return fake

    return make


@pytest.fixture(autouse=True)
def _fast_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge, "ADMIN_TIMEOUT", 0.05)
    monkeypatch.setattr(edge, "ADMIN_WAIT", 0.05)
    monkeypatch.setattr(acme, "POLL", 0.001)


async def boot(fake: FakeTransport) -> object:
    return await manage.boot_on(fake, CONFIG, SECRETS)


Run = Callable[[FakeTransport], Awaitable[object]]
SCENARIOS = [
    ("lb-boot-acme-fresh", acme_world(fresh=True)),
    ("lb-boot-acme", acme_world(fresh=False)),
]


@pytest.mark.parametrize(("name", "make"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
async def test_the_happy_path_runs_exactly_these_steps(
    name: str, make: Callable[[], FakeTransport]
) -> None:
    fake = make()
    assert await boot(fake) == {OWNER: True, OTHER: True}
    assert transcript(fake) == (EXPECTED_DIR / f"{name}.txt").read_text()


@pytest.mark.parametrize(("name", "make"), SCENARIOS, ids=[n for n, _ in SCENARIOS])
async def test_every_step_failing_ends_with_one_line_naming_host_and_cause(
    name: str, make: Callable[[], FakeTransport], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(acme, "CERTIFICATE_WAIT", 0.0)

    def check(failure: Failure, fake: FakeTransport, error: BaseException | None) -> str:
        if error is None and polled_after_start(failure.call, fake):
            return ""  # a started edge's admin API is polled until it answers
        return one_line_naming_host_and_cause(failure, error)

    steps = await happy_path(make, boot)
    assert await each_step_failing(make, boot, check, steps) == []


async def test_a_first_boot_forwards_challenges_on_the_second_edge_then_serves_the_copy() -> None:
    fake = acme_world(fresh=True, owner_holds=2)()
    await boot(fake)
    configs = [json.loads(text) for text in fake.inputs[OTHER] if text and text[0] == "{"]
    forwarder, copy = configs
    assert "edge-tls" not in forwarder["apps"]["http"]["servers"]
    assert passed_to(forwarder) == passed_to(copy) == [{"dial": "10.0.0.8:80"}]
    assert copy["apps"]["tls"]["automation"]["policies"][0]["renewal_window_ratio"] == 0.25
    owner_writes = [text for text in fake.inputs[OWNER] if text]
    assert owner_writes[0] == "-----BEGIN CERTIFICATE-----\n"  # the CA's root, before its config
    (owner_config,) = [json.loads(text) for text in owner_writes if text[0] == "{"]
    assert passed_to(owner_config) == [{"dial": "10.0.0.9:80"}]  # and the other way round
    # the owner's certificates (read a third time: it held them from then on) reach the other
    inputs = fake.inputs[OTHER]
    copied = inputs.index(stored("shop.test"))
    configs_at = [i for i, text in enumerate(inputs) if text and text[0] == "{"]
    assert configs_at[0] < copied < configs_at[1]  # forwarder, the copy, then the full config
    assert repr(inputs[copied]) == "Secret('[REDACTED]')"  # private keys: never shown
    order = [c.host for c in fake.calls if "cp " in c.text or "caddy.json" in c.text]
    assert order.index(OWNER) > 0  # the other edge forwarded before the owner booted


@pytest.mark.parametrize(
    ("theirs", "copied"),
    [(EXPIRES_2061, False), (EXPIRES_2031, True), ("data", True)],
    ids=["renewed-later-kept", "same-copied", "unreadable-copied"],
)
async def test_a_boot_copies_the_first_edges_certificates_unless_the_other_holds_a_later_one(
    theirs: str, copied: bool
) -> None:
    """The other edge renewed its certificate itself (its own order): the first edge's, which
    expires earlier, does not replace it. Its config is loaded all the same."""
    fake = acme_world(fresh=False, owner_crt=EXPIRES_2031, other_crt=theirs)()
    assert await boot(fake) == {OWNER: True, OTHER: True}
    writes = [c for c in fake.commands_on(OTHER) if "cp - dockyard-edge:/dockyard/acme/" in c]
    assert len(writes) == (1 if copied else 0)
    assert any(text and text[0] == "{" for text in fake.inputs[OTHER])  # its config loaded


def passed_to(config: dict[str, Any]) -> list[dict[str, str]]:
    """Where the edge passes the challenges it cannot answer (its plain server's third route,
    after its certificates for the other edge and the one answering 404 to those passed to
    it)."""
    routes = config["apps"]["http"]["servers"]["edge"]["routes"]
    assert [r["@id"] for r in routes[:3]] == [
        "dockyard-edge-certificates",
        "dockyard-edge-acme-passed",
        "dockyard-edge-acme-challenges",
    ]
    return list(routes[2]["handle"][0]["upstreams"])


async def test_a_first_edge_without_a_certificate_in_time_says_so_with_the_acmes_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(acme, "CERTIFICATE_WAIT", 0.01)
    fake = acme_world(fresh=True, owner_holds=10**6)()
    with pytest.raises(CertificateError) as raised:
        await boot(fake)
    assert str(raised.value) == (
        "10.0.0.8: the first load balancer edge obtained no certificate for shop.test within "
        "0 s (ACME: HTTP 400 refused); make the names resolve to the edges and their HTTP port "
        "reachable from the CA, then run `dockyard lb boot` again (the edge keeps trying "
        "meanwhile)"
    )
    assert not any("cp - dockyard-edge" in c for c in fake.commands_on(OTHER))  # no copy


async def test_details_show_the_web_hosts_not_the_edges_challenges_are_passed_to() -> None:
    world = EdgeWorld(running=True)
    entries = [
        {"address": a, "num_requests": 0, "fails": 0}
        for a in ("10.0.0.1:80", "10.0.0.8:80", "10.0.0.9:80")
    ]
    for host in EDGES:
        world.admin.upstreams[host] = [json.dumps(entries).encode()]
    found = await manage.details_on(world.make(), CONFIG)
    assert {host: list(d.upstreams) for host, d in found.items()} == {
        host: ["10.0.0.1:80"] for host in EDGES
    }


async def test_each_edge_gets_the_mover_of_the_others_renewals_a_missing_crontab_warns() -> None:
    fake = acme_world(fresh=False)()
    fake.on(
        OTHER,
        "dockyard-edge-mover",
        Reply(stdout="no-restart-at-boot: the host has no crontab command\n"),
    )
    warnings: list[str] = []
    booted = await manage.boot_on(
        fake, CONFIG, SECRETS, lambda host, line: warnings.append(f"{host}: {line}")
    )
    assert booted == {OWNER: True, OTHER: True}
    for host, peer in ((OWNER, OTHER), (OTHER, OWNER)):
        (install,) = [c for c in fake.commands_on(host) if "mover.sh" in c]
        assert f"PEER={peer}\\nPORT=80\\n" in install
        assert edge_mover.MOVER_SH in fake.inputs[host]  # the script, on its standard input
    assert warnings == [
        f"{OTHER}: warning: the other edge's certificate renewals will not reach this edge by "
        "themselves (the host has no crontab command): it renews its own, and each deploy "
        "copies the first edge's"
    ]

"""TLS at the swarm's edges on the scripted transport (workflows/swarm/ingress.py, which boots
them as the load balancer's: workflows/balancer/manage.boot_edges): a first edge that obtains
no certificate by ACME in time fails the deploy with one line saying what to do, after the
services were updated and with nothing of them undone, the lock released; a custom
certificate whose secret is missing fails before anything reaches a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.commands.edge_acme import COPY, FORWARDER, OWNER
from dockyard.config import parse_config
from dockyard.engine import DOCKER
from dockyard.errors import CertificateError, SecretsError
from dockyard.ssh.fake import FakeTransport, Reply
from dockyard.workflows.balancer import acme
from dockyard.workflows.deploy import release
from dockyard.workflows.proxy.controller import config_text
from dockyard.workflows.server import Server
from dockyard.workflows.swarm.ingress import swarm_edges
from dockyard.workflows.swarm.release import SwarmRun, release_on
from tests.unit.workflows.fleet import HOME
from tests.unit.workflows.test_balancer_acme_scenarios import stored
from tests.unit.workflows.test_session_swarm import session, swarm_fake
from tests.unit.workflows.test_swarm_deploy import CONFIG
from tests.unit.workflows.test_swarm_release import deliver_by_registry, hooks, make_fake

OWNER_EDGE, OTHER_EDGE = "10.0.0.1", "10.0.0.2"  # the web hosts: the edges, in this order
ACME_CONFIG = CONFIG.replace("proxy: {host: shop.test}", "proxy: {host: shop.test, ssl: true}")
CUSTOM = CONFIG.replace(
    "proxy: {host: shop.test}",
    "proxy: {host: shop.test, ssl: {certificate_pem: CERT, private_key_pem: KEY}}",
)
LOCK = 'rm -r "$HOME/.dockyard/lock-shop"'


@pytest.fixture(autouse=True)
def _no_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(acme, "CERTIFICATE_WAIT", 0.01)
    monkeypatch.setattr(acme, "POLL", 0.001)


def edges_already_booted(fake: FakeTransport) -> FakeTransport:
    """Each edge runs the config it is given on a first ACME boot (the first edge its own,
    the other a forwarder's), so only the certificates are missing; the first edge's log
    holds the CA's refusal."""
    config = parse_config([("config/deploy.yml", ACME_CONFIG)], version="v2")
    edges = swarm_edges(fake, config, {})
    for host, role in ((OWNER_EDGE, OWNER), (OTHER_EDGE, FORWARDER)):
        text = config_text(edges.controller(Server(fake, host, DOCKER), role).config)
        fake.on(host, "dockyard-edge 2>/dev/null", Reply(stdout=f"{HOME}\0{text}\0true\n"))
    error = '{"level":"error","msg":"could not get certificate","error":"HTTP 400 refused"}'
    fake.on(OWNER_EDGE, "logs --tail 500", Reply(stdout=error + "\n"))
    return fake


async def test_no_certificate_in_time_fails_the_deploy_with_what_to_do_and_leaves_the_services(
    tmp_path: Path,
) -> None:
    fake = edges_already_booted(make_fake())
    config = parse_config([("config/deploy.yml", ACME_CONFIG)], version="v2")
    run = SwarmRun(config, {}, "deploy", hooks(tmp_path), performer="me")
    with pytest.raises(CertificateError) as raised:
        await release_on(fake, run, lambda hosts: deliver_by_registry(fake, hosts))
    assert str(raised.value) == (
        "10.0.0.1: the first load balancer edge obtained no certificate for shop.test within "
        "0 s (ACME: HTTP 400 refused); make the names resolve to the edges and their HTTP port "
        "reachable from the CA, then run `dockyard deploy` again (the edge keeps trying "
        "meanwhile)"
    )
    manager = fake.commands_on(OWNER_EDGE)
    assert any("docker stack deploy" in c for c in manager)  # the services were updated
    assert not [c for c in manager if "service rollback" in c or "stack rm" in c]  # and kept
    assert manager[-1].endswith(LOCK)  # the lock released
    assert not any(u.path.endswith("/versions") for u in fake.uploads.get(OWNER_EDGE, []))
    assert not any("cp - dockyard-edge" in c for c in fake.commands_on(OTHER_EDGE))  # no copy
    assert (tmp_path / "hooks.log").read_text() == "pre-deploy deploy v2 lock=true\n"


def test_a_custom_certificates_missing_secret_fails_before_any_server_is_reached(
    tmp_path: Path,
) -> None:
    fake = swarm_fake()
    with pytest.raises(SecretsError, match="Secret 'CERT' not found"):
        release.deploy(session(fake, tmp_path, config=CUSTOM), build=False)
    assert fake.calls == []


async def test_an_edge_without_crontab_is_a_deploy_line_and_the_deploy_goes_on(
    tmp_path: Path,
) -> None:
    fake = make_fake()
    config = parse_config([("config/deploy.yml", ACME_CONFIG)], version="v2")
    edges = swarm_edges(fake, config, {})
    for host, role in ((OWNER_EDGE, OWNER), (OTHER_EDGE, COPY)):  # both running, certificates held
        text = config_text(edges.controller(Server(fake, host, DOCKER), role).config)
        fake.on(host, "dockyard-edge 2>/dev/null", Reply(stdout=f"{HOME}\0{text}\0true\n"))
        fake.on(host, "cp dockyard-edge:/dockyard/acme/certificates -",
                Reply(stdout=stored("shop.test")))  # fmt: skip
    no_crontab = "no-restart-at-boot: the host has no crontab command\n"
    fake.on(OTHER_EDGE, "dockyard-edge-mover", Reply(stdout=no_crontab))
    run = SwarmRun(config, {}, "deploy", hooks(tmp_path), performer="me")
    said: list[str] = []
    await release_on(fake, run, lambda hosts: deliver_by_registry(fake, hosts), said.append)
    assert (
        f"{OTHER_EDGE}: warning: the other edge's certificate renewals will not reach this edge "
        "by themselves (the host has no crontab command): it renews its own, and each deploy "
        "copies the first edge's"
    ) in said
    assert not [line for line in said if line.startswith(f"{OWNER_EDGE}: warning")]
    assert f"{OTHER_EDGE}: edge up to date" in said

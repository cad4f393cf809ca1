"""Parsing what `details` reads from a host (facts/overview.py) and what it shows of it
(plan/overview.py): Docker's and Podman's inspect lines as commands/overview.py asks for them."""

from __future__ import annotations

from dockyard.config import parse_config
from dockyard.facts.overview import HostListing, Inspected, parse_listing
from dockyard.plan.overview import ContainerDetail, describe

# Docker names start with "/", Podman's do not; a container off the network has empty fields
DOCKER = (
    "/dockyard-proxy\tlab:5000/caddy:2.11\trunning\t0\t\t\t\t\t172.18.0.2\tdockyard-proxy 1a2b \n"
    "/shop-web-v2\tlab:5000/shop:v2\trunning\t0\t\tshop\tweb\t\t172.18.0.4\tshop-web--b 4f2a \n"
    "/shop-web-v1\tlab:5000/shop:v1\texited\t137\t\tshop\tweb\t\t\t\n"
    "/shop-db\tpostgres:15\trunning\t0\thealthy\tshop-db\t\t\t172.18.0.5\tshop-db \n"
    "/blog-web-v9\tblog:v9\trunning\t0\t\tblog\tweb\t\t172.18.0.6\tblog-web--a \n"
    "\0shop-web\nblog-web\n"
)
PODMAN = (
    "shop-worker-v2\tlab:5000/shop:v2\trunning\t0\t\tshop\tworker\t\t10.89.0.7\tc0ffee \n"
    "shop-web-v2\tlab:5000/shop:v2\tcreated\t0\t\tshop\tweb\t\t\t\n\0"
)
CONFIG = """
service: shop
image: shop
registry: {server: "localhost:5555"}
builder: {arch: amd64}
servers:
  web: [10.0.0.1]
  worker: {hosts: [10.0.0.1], proxy: false}
proxy: {host: shop.test}
accessories:
  db: {image: postgres:15, host: 10.0.0.1}
"""


def test_docker_lines_a_nul_then_the_routes_slot_b_serves() -> None:
    listing = parse_listing(DOCKER)
    assert listing.live_b == frozenset({"shop-web", "blog-web"})
    assert listing.containers[1] == Inspected(
        "shop-web-v2", "lab:5000/shop:v2", "running", "0", "", "shop", "web", "", "172.18.0.4",
        ("shop-web--b", "4f2a"),
    )  # fmt: skip
    assert listing.containers[2] == Inspected(
        "shop-web-v1", "lab:5000/shop:v1", "exited", "137", "", "shop", "web", "", ""
    )
    assert listing.containers[3].health == "healthy"


def test_podman_lines_and_no_live_route() -> None:
    listing = parse_listing(PODMAN)
    assert [c.name for c in listing.containers] == ["shop-worker-v2", "shop-web-v2"]
    assert listing.live_b == frozenset()
    assert parse_listing("") == HostListing()


def test_details_of_a_host_proxy_then_the_app_by_role_then_accessories() -> None:
    config = parse_config([("config/deploy.yml", CONFIG)], version="v2")
    rows = describe(config, parse_listing(DOCKER))  # blog's container: another app's, left out
    assert rows == [
        ContainerDetail("proxy", "dockyard-proxy", "lab:5000/caddy:2.11", "running"),
        ContainerDetail(
            "app",
            "shop-web-v2",
            "lab:5000/shop:v2",
            "running",
            "web",
            "v2",
            "b",
            live=True,
            ip="172.18.0.4",
        ),
        ContainerDetail("app", "shop-web-v1", "lab:5000/shop:v1", "exited (137)", "web", "v1"),
        ContainerDetail("accessory", "shop-db", "postgres:15", "running", "db", health="healthy"),
    ]  # fmt: skip
    rows = describe(config, parse_listing(PODMAN))
    assert [(r.name, r.role, r.slot, r.live, r.state) for r in rows] == [
        ("shop-web-v2", "web", None, None, "created"),
        ("shop-worker-v2", "worker", None, None, "running"),
    ]

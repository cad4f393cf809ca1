# ruff: noqa: E501  (a table of cases reads best one case per line)
"""Every rejection: the key path Kamal uses, a clear message, and the file:line of the key."""

from __future__ import annotations

import pytest

from tests.unit.config.conftest import BASE, error_of, parse

ONE_HOST = BASE + "servers: [1.1.1.1]\n"

# (config text, key path, part of the message, line)
CASES = [
    (ONE_HOST + "foo: 1\n", "", "unknown key: foo", 9),
    (ONE_HOST + "foo: 1\nbar: 2\n", "", "unknown keys: foo, bar", 9),
    (ONE_HOST + "traefik: {}\n", "traefik", "Kamal 1 setting", 9),
    (ONE_HOST + "healthcheck: {path: /up}\n", "healthcheck", "proxy/healthcheck", 9),
    (ONE_HOST.replace("image: me/app", "image: [x]"), "image", "should be a string, not a list", 2),
    (ONE_HOST.replace("image: me/app", "image:"), "image", "should be a string, not empty", 2),
    (ONE_HOST.replace("service: app", "service: my app"), "service", "alphanumeric", 1),
    (BASE.replace("image: me/app\n", "") + "servers: [a]\n", "image", "Missing required", None),
    (BASE, "servers", "No servers or accessories specified", None),
    (BASE + "servers: a\n", "servers", "should be a list of hosts or a map of roles", 8),
    (BASE + "servers:\n  web:\n    hosts: a\n", "servers/web/hosts", "should be a list of hosts", 10),
    (BASE + "servers:\n  web: a\n", "servers/web", "list of hosts or a map of role settings", 9),
    (BASE + "servers:\n  web:\n    hosts: [a]\n    bogus: 1\n", "servers/web", "unknown key: bogus", 11),
    (BASE + "servers:\n  - a: x\n    b: y\n", "servers/0", "multiple hosts found", 9),
    (BASE + "servers:\n  - a: [[x]]\n", "servers/0/a/0", "should be a string", 9),
    (BASE + "servers: {job: [a]}\n", "primary_role", "The primary_role web isn't defined", None),
    (BASE + "servers: {web: [a], job: []}\n", "servers/job", "allow_empty_roles", 8),
    (BASE + "servers: {web: []}\nallow_empty_roles: true\n", "servers/web", "primary_role", 8),
    (ONE_HOST + "env:\n  clear: {A: [1]}\n", "env/clear/A", "should be a string", 10),
    (ONE_HOST + "env:\n  clear: {A: 1}\n  other: 2\n", "env", "unknown key: other", 9),
    (ONE_HOST + "env:\n  secret: A\n", "env/secret", "should be a list", 10),
    (ONE_HOST + "env:\n  tags: {a: [1]}\n", "env/tags/a", "should be a map", 10),
    (BASE + "servers:\n  web:\n    hosts: [a]\n    env:\n      tags: {t: {A: 1}}\n",
     "servers/web/env", "tags are only allowed in the root env", 11),
    (ONE_HOST + "proxy: {host: a.com, hosts: [b.com]}\n", "proxy", "not both", 9),
    (ONE_HOST + "proxy: {ssl: true}\n", "proxy", "Must set a host", 9),
    (ONE_HOST + "proxy: true\n", "proxy", "should be a map", 9),
    (ONE_HOST + "proxy: {ssl: maybe}\n", "proxy/ssl", "true, false or a map", 9),
    (ONE_HOST + "proxy: {host: a, ssl: {certificate_pem: C}}\n", "proxy", "Missing private_key_pem", 9),
    (ONE_HOST + "proxy: {healthcheck: {foo: 1}}\n", "proxy/healthcheck", "unknown key: foo", 9),
    (ONE_HOST + "proxy: {run: {publish: false, http_port: 81}}\n", "proxy", "publish is false", 9),
    (BASE + "servers: [a, b]\nproxy: {ssl: true, host: a.com}\n", "proxy", "single server", 9),
    (BASE + "servers:\n  web: {hosts: [a], proxy: {ssl: true, host: x.com}}\n"
     "  api: {hosts: [b], proxy: {ssl: true, host: x.com}}\n", "proxy", "share the same host", None),
    (BASE + "proxy: {host: a.com}\nservers:\n  web: {hosts: [a], proxy: {ssl: true}}\n",
     "servers/web/proxy", "Must set a host", 10),
    (BASE + "proxy: {host: a.com}\nservers:\n  web: {hosts: [a], proxy: {hosts: [b.com]}}\n",
     "proxy", "not both", 8),
    (ONE_HOST + "accessories:\n  db: {image: x, roles: [web, nope, gone]}\n", "accessories/db", "unknown roles nope, gone", 10),
    (BASE + "servers:\n  web: {hosts: [a], proxy: x}\n", "servers/web/proxy", "true, false or a map", 9),
    (BASE + "servers:\n  web: {hosts: [a], proxy: {bogus: 1}}\n", "servers/web/proxy", "unknown key", 9),
    (BASE + "servers:\n  web: {hosts: [a], options: {restart: sometimes}}\n",
     "servers/web/options/restart", "unless-stopped", 9),
    (BASE + "servers:\n  web: {hosts: [a], labels: {role: x}}\n", "servers/web/labels/role", "reserved", 9),
    (BASE.replace("registry:\n  username: me\n", "registry:\n") + "servers: [a]\n",
     "registry/username", "is required", 3),
    (BASE.replace("password: [KAMAL_REGISTRY_PASSWORD]", "password: [A, B]") + "servers: [a]\n",
     "registry/password", "one string", 5),
    (BASE.replace("  arch: amd64\n", "  {}\n") + "servers: [a]\n", "builder", "Builder arch not set", 6),
    (BASE.replace("  arch: amd64\n", "  arch: amd64\n  cache: {type: s3}\n") + "servers: [a]\n",
     "builder", "Invalid cache type", 6),
    (BASE.replace("  arch: amd64\n", "  arch: amd64\n  local: false\n") + "servers: [a]\n",
     "builder", "no remote is set", 6),
    (BASE.replace("  arch: amd64\n", "  arch: amd64\n  sbom: spdx\n") + "servers: [a]\n",
     "builder/sbom", "should be true or false", 8),
    (ONE_HOST + "ssh: {port: [1]}\n", "ssh/port", "should be a string", 9),
    (ONE_HOST + "ssh: {config: 5}\n", "ssh/config", "a path or a list", 9),
    (ONE_HOST + "ssh: {port: ssh}\n", "ssh/port", "should be a port number", 9),
    (ONE_HOST + "ssh: {log_level: loud}\n", "ssh/log_level", "invalid log level: loud", 9),
    (ONE_HOST + "ssh: {proxy: true}\n", "ssh/proxy", "should be a string", 9),
    (ONE_HOST + "hooks_path: true\n", "hooks_path", "should be a directory path", 9),
    (ONE_HOST + "proxy: {host: 7}\n", "proxy/host", "should be a string", 9),
    (ONE_HOST + "proxy: {hosts: [a.com, b.com: x]}\n", "proxy/hosts/1", "should be a string", 9),
    (ONE_HOST + "logging: {driver: true}\n", "logging/driver", "should be a string", 9),
    (ONE_HOST + "logging: {options: {max-size: }}\n", "logging/options/max-size", "should be a string", 9),
    (ONE_HOST.replace("registry:\n", "registry:\n  server: 5000\n"), "registry/server", "should be a host[:port]", 4),
    (BASE + "servers: [a, b]\nproxy: {host: a.com, ssl: {}}\n", "proxy", "single server", 9),
    (ONE_HOST.replace("  arch: amd64\n", "  arch: amd64\n  cache: {type: ''}\n"), "builder", "Invalid cache type", 6),
    (ONE_HOST + "boot: {wait: x}\n", "boot/wait", "whole number", 9),
    (ONE_HOST + "boot: {limit: some}\n", "boot/limit", "percentage like 25%", 9),
    (BASE + "proxy: {run: {http_port: 81}}\nservers:\n  web: [a]\n  api: {hosts: [a], proxy: {run: {http_port: 82}}}\n",
     "servers/api/proxy/run", "Conflicting proxy run configurations for host a", 11),
    (ONE_HOST + "retain_containers: 0\n", "retain_containers", "at least 1", 9),
    (ONE_HOST + "readiness_delay: '4'\n", "readiness_delay", "whole number, not a string", 9),
    (ONE_HOST + "x-dockyard: {runtime: k8s}\n", "x-dockyard/runtime", "should be docker or podman, not 'k8s'", 9),
    (ONE_HOST + "x-dockyard: {runtime: [docker]}\n", "x-dockyard/runtime", "should be docker or podman, not a list", 9),
    (ONE_HOST + "minimum_version: 9.0.0\n", "minimum_version", "is 9.0.0", 9),
    (ONE_HOST + "minimum_version: latest\n", "minimum_version", "Malformed version number", 9),
    (ONE_HOST + "require_destination: true\n", "require_destination", "-d/--destination", 9),
    (ONE_HOST + "hooks_output: loud\n", "hooks_output", "must be one of: quiet, verbose", 9),
    (ONE_HOST + "hooks_output: {pre-deploy: [1]}\n", "hooks_output/pre-deploy", "quiet or verbose", 9),
    (ONE_HOST + "aliases: {Deploy: x}\n", "aliases/Deploy", "Invalid alias name", 9),
    (ONE_HOST + "aliases: {deploy: x}\n", "aliases/deploy", "conflicts with a built-in", 9),
    (ONE_HOST + "labels: {a: [1]}\n", "labels/a", "should be a string", 9),
    (ONE_HOST + "labels: {destination: x}\n", "labels/destination", "reserved", 9),
    (ONE_HOST + "accessories:\n  db: {image: x, host: a, labels: {service: y}}\n", "accessories/db/labels/service", "reserved", 10),
    (ONE_HOST + "volumes: a:b\n", "volumes", "should be a list", 9),
    (ONE_HOST + "accessories:\n  db: {image: x}\n", "accessories/db", "specify one of", 10),
    (ONE_HOST + "accessories:\n  db: {image: x, host: a, hosts: [b]}\n", "accessories/db", "specify one of", 10),
    (ONE_HOST + "accessories:\n  db: {image: x, host: a, proxy: true}\n", "accessories/db/proxy", "should be a map", 10),
    (ONE_HOST + "accessories:\n  db: {image: x, host: a, files: [[a]]}\n", "accessories/db/files/0", "string or a map", 10),
    (ONE_HOST + "accessories:\n  db: {image: x, host: a, registry: {server: r.io, username: u}}\n",
     "accessories/db/registry/password", "is required", 10),
    (BASE.replace("registry:\n  username: me\n  password: [KAMAL_REGISTRY_PASSWORD]\n",
                  "registry: {server: 'localhost:5555'}\n").replace("arch: amd64", "{arch: amd64, remote: 'tcp://b:1'}")
     + "servers: [a]\n", "builder/remote", "requires an SSH URL", None),
    (ONE_HOST + "x-dockyard: {runtime: rkt}\n", "x-dockyard/runtime", "docker or podman", 9),
    (ONE_HOST + "x-dockyard: {backups: {db: {kind: postgres}}}\n", "x-dockyard/backups/db",
     "no accessory named db", 9),
    (ONE_HOST + "x-dockyard: {proxy: {image: [x]}}\n", "x-dockyard/proxy/image", "should be a string", 9),
    (ONE_HOST + "asset_path: public/assets\n", "asset_path", "should be absolute", 9),
    (ONE_HOST + "asset_path: /\n", "asset_path", "the image's root", 9),
    (ONE_HOST + "asset_path: /pub/$HOME\n", "asset_path", "may not hold quotes, $", 9),
    (BASE + "servers:\n  web: {hosts: [a], asset_path: 'x:ro'}\n", "servers/web/asset_path", "'x', should be absolute", 9),
    ("- a\n", "", "should be a map of settings", 1),
    ("", "service", "the config is empty", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "key", "message", "line"), CASES, ids=[c[1] or c[2] for c in CASES]
)
def test_rejection(text: str, key: str, message: str, line: int | None) -> None:
    error = error_of(text)
    assert error.key == key
    assert message in error.message
    if line is not None:
        assert (error.file, error.line) == ("config/deploy.yml", line)
    assert "\n" not in str(error)


def test_error_in_destination_file_points_at_that_file() -> None:
    error = error_of(ONE_HOST, destination="staging", extra="env:\n  clear:\n    A: [1]\n")
    assert (error.key, error.file, error.line) == ("env/clear/A", "config/deploy.staging.yml", 3)


def test_error_renders_file_line_key_and_message() -> None:
    error = error_of(ONE_HOST + "boot: {wait: x}\n")
    assert str(error) == "config/deploy.yml:9: boot/wait: should be a whole number, not a string"


ACCEPTED = [
    ONE_HOST + "x-anything: {whatever: [1]}\nx-dockyard: {runtime: podman, proxy: {image: c:2}}\n",
    BASE + "servers:\n  - 1.1.1.1\n  - 1.1.1.2: experiments\n  - 1.1.1.3: [experiments, three]\n",
    BASE + "builder: {arch: [amd64, arm64]}\nservers: [a]\n",
    BASE + "servers:\n  web: {hosts: [a], options: {restart: on-failure:3}}\n",
    BASE + "servers: [a, b]\nproxy: {host: a.com, ssl: {certificate_pem: C, private_key_pem: K}}\n",
    "service: app\nregistry: {server: 'localhost:5555'}\nbuilder: {arch: amd64}\nservers: [a]\n",
    BASE + "accessories:\n  db: {image: mysql, host: a}\n",
    ONE_HOST + "hooks_output:\n  pre-deploy: :verbose\n  pre-build: quiet\n",
    ONE_HOST + "minimum_version: 2.0\nstop_timeout: 3\n",
    ONE_HOST + "ssh: {config: [~/.ssh/a], port: 2222, proxy: 'u@j'}\n",
    ONE_HOST + "ssh: {port: '2222', log_level: WARN}\n",
    ONE_HOST + "accessories:\n  tools: {host: a}\n",
    ONE_HOST + "asset_path: '/rails/public/my assets:ro,z'\n",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted(text: str) -> None:
    assert parse(text).service == "app"

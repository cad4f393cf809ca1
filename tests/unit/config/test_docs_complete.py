"""`dockyard docs` documents every key and value validation accepts: the docs are rendered from
the schema validation uses, and these tests fail when a key or a value is missing from them.

For x-dockyard, dockyard's own section (whose backups are checked by config/backups.py, not by
the generic validator), each documented key has a sample value here: a config holding all of
them validates, each documented choice validates, and a key the docs do not show is refused."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from dockyard.config import parse_config
from dockyard.config.docs import DOC_SECTIONS, render_section, schema_tree
from dockyard.config.schema import SECTIONS
from dockyard.errors import ConfigError

BASE = {
    "service": "app",
    "image": "me/app",
    "registry": {"username": "me", "password": ["KAMAL_REGISTRY_PASSWORD"]},
    "builder": {"arch": "amd64"},
    "servers": ["1.1.1.1"],
    "accessories": {"db": {"image": "postgres:15", "host": "1.1.1.1"}},
}
ACCESSORY = "<accessory>"  # how the docs write the accessory's name in a path
JOB = "<job>"  # and a cron job's
ROLE = "<role>"  # and a role's (the role of BASE's plain host list is `web`)
# Every documented x-dockyard key with a value validation accepts (kind volume: the one kind
# that takes every key, paths included).
SAMPLES: dict[str, Any] = {
    "x-dockyard/runtime": "podman",
    "x-dockyard/delivery": "ssh",
    "x-dockyard/backend": "ssh",
    "x-dockyard/swarm": {},
    "x-dockyard/swarm/network": "app-net",
    "x-dockyard/swarm/monitor": 5,
    "x-dockyard/swarm/roles": {},
    f"x-dockyard/swarm/roles/{ROLE}/replicas": 3,
    f"x-dockyard/swarm/roles/{ROLE}/placement": ["node.labels.zone==a"],
    f"x-dockyard/swarm/roles/{ROLE}/parallelism": 1,
    "x-dockyard/proxy": {},
    "x-dockyard/proxy/image": "caddy:2.11",
    "x-dockyard/proxy/tls_issuer": "internal",
    "x-dockyard/proxy/acme_email": "ops@example.com",
    "x-dockyard/backups": {},
    f"x-dockyard/backups/{ACCESSORY}/kind": "volume",
    f"x-dockyard/backups/{ACCESSORY}/schedule": "0 3 * * *",
    f"x-dockyard/backups/{ACCESSORY}/keep": 3,
    f"x-dockyard/backups/{ACCESSORY}/max_age": "30d",
    f"x-dockyard/backups/{ACCESSORY}/target": {},
    f"x-dockyard/backups/{ACCESSORY}/target/directory": "/var/backups/db",
    f"x-dockyard/backups/{ACCESSORY}/target/s3": {},
    f"x-dockyard/backups/{ACCESSORY}/target/s3/endpoint": "http://10.0.0.5:8333",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/bucket": "backups",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/prefix": "shop/db/",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/region": "eu-west-1",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/access_key_id": "S3_KEY_ID",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/secret_access_key": "S3_SECRET",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/path_style": False,
    f"x-dockyard/backups/{ACCESSORY}/target/s3/storage_class": "STANDARD_IA",
    f"x-dockyard/backups/{ACCESSORY}/target/s3/storage_class_after": "30d",
    f"x-dockyard/backups/{ACCESSORY}/database": "shop",
    f"x-dockyard/backups/{ACCESSORY}/user": "shop",
    f"x-dockyard/backups/{ACCESSORY}/paths": ["/var/lib/app"],
    f"x-dockyard/backups/{ACCESSORY}/encryption_key": "BACKUP_KEY",
    f"x-dockyard/backups/{ACCESSORY}/verify_every": "7d",
    "x-dockyard/load_balancer": {},
    "x-dockyard/load_balancer/hosts": ["10.9.9.8", "10.9.9.9"],
    "x-dockyard/load_balancer/http_port": 8080,
    "x-dockyard/load_balancer/https_port": 8443,
    "x-dockyard/load_balancer/try_duration": 3,
    "x-dockyard/load_balancer/acme_ca": "https://ca.test/dir",
    "x-dockyard/load_balancer/acme_ca_root": "CA_ROOT",
    "x-dockyard/load_balancer/renew_interval": 2,
    "x-dockyard/cron": {},
    "x-dockyard/images": {},  # with delivery: ssh a role image is refused (test_role_images.py)
    f"x-dockyard/cron/{JOB}/schedule": "*/10 * * * * *",
    f"x-dockyard/cron/{JOB}/command": "bin/prune",
    f"x-dockyard/cron/{JOB}/role": "web",
    f"x-dockyard/cron/{JOB}/host": "1.1.1.1",
    f"x-dockyard/cron/{JOB}/concurrency": "replace",
    f"x-dockyard/cron/{JOB}/timeout": "30m",
    f"x-dockyard/cron/{JOB}/timezone": "Europe/Paris",
    f"x-dockyard/cron/{JOB}/catch_up": "10m",
}


def x_dockyard_keys() -> dict[str, str]:
    """Every key path `dockyard docs x-dockyard` shows -> its schema section."""
    _, _, parts = DOC_SECTIONS["x-dockyard"]
    return {f"{path}/{key}": name for name, path in parts for key in SECTIONS[name]}


def config_with(values: dict[str, Any]) -> dict[str, Any]:
    """BASE with these key paths set (the accessory's name is `db`, the job's `nightly`)."""
    config: dict[str, Any] = yaml.safe_load(yaml.safe_dump(BASE))
    for path, value in sorted(values.items()):
        *parents, last = (
            path.replace(ACCESSORY, "db").replace(JOB, "nightly").replace(ROLE, "web").split("/")
        )
        node = config
        for part in parents:
            node = node.setdefault(part, {})
        if not (isinstance(value, dict) and isinstance(node.get(last), dict)):
            node[last] = copy.deepcopy(value)
    return config


def validate(config: dict[str, Any]) -> None:
    parse_config([("config/deploy.yml", yaml.safe_dump(config))], version="v1")


def test_every_schema_section_is_in_the_docs_with_every_key_and_choice() -> None:
    shown = {name: path for _, _, parts in DOC_SECTIONS.values() for name, path in parts}
    assert set(SECTIONS) <= set(shown), "a schema section no docs section shows"
    for doc_name, (_, _, parts) in DOC_SECTIONS.items():
        text = render_section(doc_name)
        for name, path in parts:
            block = text.split(f"\n{path}:\n" if path else "\ntop level:\n", 1)[1]
            block = block.split("\n\n", 1)[0]
            for key, entry in SECTIONS[name].items():
                line = next((x for x in block.splitlines() if x.startswith(f"  {key} (")), None)
                assert line is not None, f"{path or 'top level'}: {key} is not in the docs"
                for choice in entry.choices:
                    assert choice in line, f"{path}/{key}: the choice {choice} is not shown"


def test_the_x_dockyard_docs_show_every_nested_section() -> None:
    _, _, parts = DOC_SECTIONS["x-dockyard"]
    assert parts == schema_tree("x-dockyard", "x-dockyard")
    assert [path for _, path in parts] == [
        "x-dockyard", "x-dockyard/proxy", "x-dockyard/swarm", f"x-dockyard/swarm/roles/{ROLE}",
        f"x-dockyard/backups/{ACCESSORY}",
        f"x-dockyard/backups/{ACCESSORY}/target", f"x-dockyard/backups/{ACCESSORY}/target/s3",
        "x-dockyard/load_balancer",
        f"x-dockyard/cron/{JOB}",
    ]  # fmt: skip


def test_every_documented_x_dockyard_key_is_accepted() -> None:
    assert set(x_dockyard_keys()) == set(SAMPLES), "a documented key without a sample, or back"
    validate(config_with(SAMPLES))


@pytest.mark.parametrize(
    ("path", "choice"),
    [
        (path, choice)
        for path, name in x_dockyard_keys().items()
        for choice in SECTIONS[name][path.rsplit("/", 1)[1]].choices
    ],
)
def test_every_documented_choice_is_accepted(path: str, choice: str) -> None:
    values = {**SAMPLES, path: choice}
    if path.endswith("/kind") and choice != "volume":  # paths are only for kind volume
        del values[f"x-dockyard/backups/{ACCESSORY}/paths"]
    if (path, choice) == ("x-dockyard/backend", "swarm"):  # Podman has no Swarm
        values["x-dockyard/runtime"] = "docker"
    validate(config_with(values))


@pytest.mark.parametrize(
    "section",
    ["x-dockyard", "x-dockyard/proxy", "x-dockyard/swarm", f"x-dockyard/swarm/roles/{ROLE}",
     f"x-dockyard/backups/{ACCESSORY}",
     f"x-dockyard/backups/{ACCESSORY}/target", f"x-dockyard/backups/{ACCESSORY}/target/s3",
     f"x-dockyard/cron/{JOB}"],
)  # fmt: skip
def test_a_key_the_docs_do_not_show_is_refused(section: str) -> None:
    with pytest.raises(ConfigError, match="unknown key"):
        validate(config_with({**SAMPLES, f"{section}/undocumented": "x"}))

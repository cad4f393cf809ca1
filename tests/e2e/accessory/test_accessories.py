"""Accessories on a real server: boot with files, directories, secrets and a local port; exec,
logs, details, reboot keeping the data, start/stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import lab as labs

from .conftest import ssh
from .harness import CACHE, DB, PG_PASSWORD, dockyard, ok, psql, redis

pytestmark = pytest.mark.e2e


def test_boot_runs_both_accessories_with_their_settings(booted: Path, lab: labs.LabInfo) -> None:
    details = ok(booted, "accessory", "details", "all")
    assert f"{DB}  running" in details and f"{CACHE}  running" in details
    # the port is published on the server's loopback only
    ports = ssh(lab, f"{lab.engine} port {DB}").stdout
    assert ports.strip() == "5432/tcp -> 127.0.0.1:5432"
    # secrets only in a 0600 env file, never on the command line
    env_file = ".kamal/apps/shop/env/accessories/db.env"
    assert ssh(lab, f"stat -c %a {env_file}").stdout.strip() == "600"
    assert ssh(lab, f"cat {env_file}").stdout == f"POSTGRES_PASSWORD={PG_PASSWORD}\n"
    # the .erb file rendered with the accessory's env; mode and owner as configured
    assert ok(booted, "accessory", "exec", "db", "--reuse", "cat", "/etc/shop/notes.conf").endswith(
        "owner = shop\n"
    )
    assert (
        ssh(lab, f"stat -c '%a %u:%g' {DB}/etc/shop/readonly.txt").stdout.strip() == "640 999:999"
    )
    # a file rendered from a secret is 0600, under a directory only its owner enters; the
    # container still reads it (through its mount); the others keep Kamal's 0755
    assert ssh(
        lab, f"stat -c %a {DB}/etc/shop/secret.conf {DB}/etc/shop/notes.conf {DB}"
    ).stdout.split() == ["600", "755", "700"]
    size = len(f"password = {PG_PASSWORD}\n")
    cat = ok(booted, "accessory", "exec", "db", "--reuse", "wc -c /etc/shop/secret.conf")
    assert cat.strip().endswith(f"{size} /etc/shop/secret.conf")
    # the data directory is on the host, under ~/<service>
    assert ssh(lab, f"test -s {DB}/data/PG_VERSION && echo yes").stdout.strip() == "yes"


def test_boot_again_skips_what_exists(booted: Path) -> None:
    assert "already exists (running)" in ok(booted, "accessory", "boot", "db")


def test_exec_logs_and_a_new_container(booted: Path) -> None:
    assert psql(booted, "select 40 + 2") == "42"
    assert redis(booted, "ping") == "PONG"
    logs = ok(booted, "accessory", "logs", "db", "-n", "50")
    assert "database system is ready to accept connections" in logs
    # without --reuse: a new container of the image, on the same network, removed afterwards
    out = ok(booted, "accessory", "exec", "db", f"pg_isready -h {DB}")
    assert "accepting connections" in out


def test_reboot_keeps_the_data(booted: Path) -> None:
    psql(booted, "create table kept(id int)")
    psql(booted, "insert into kept values (7)")
    assert f"{DB} rebooted" in ok(booted, "accessory", "reboot", "db")
    for _ in range(60):
        if dockyard(booted, "accessory", "exec", "db", "--reuse", "pg_isready").returncode == 0:
            break
    assert psql(booted, "select id from kept") == "7"
    psql(booted, "drop table kept")


def test_stop_and_start(booted: Path) -> None:
    assert f"{CACHE} stopped" in ok(booted, "accessory", "stop", "cache")
    assert f"{CACHE}  exited" in ok(booted, "accessory", "details", "cache")
    assert f"{CACHE} started" in ok(booted, "accessory", "start", "cache")
    assert redis(booted, "ping") == "PONG"


def test_unknown_accessory_is_one_clear_error(booted: Path) -> None:
    done = dockyard(booted, "accessory", "boot", "nope")
    assert done.returncode != 0
    assert done.stderr.strip() == (
        "ERROR (ConfigError): no accessory named 'nope' (accessories: db, cache, uploads)"
    )

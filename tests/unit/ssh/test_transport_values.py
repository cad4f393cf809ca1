"""The pure parts of the transport: wire rendering with env, paths, secret redaction in logs."""

from __future__ import annotations

import logging

import pytest

from dockyard.commands.base import Raw, all_of, cmd, pipe
from dockyard.redaction import Secret
from dockyard.ssh.redact import SecretLogFilter, secrets_in
from dockyard.ssh.transport import HostStats, remote_path, render_for_wire


def test_wire_and_shown_renderings() -> None:
    login = cmd("docker", "login", "-p", Secret("pa ss"), "reg")
    assert render_for_wire(login) == (
        "docker login -p 'pa ss' reg",
        "docker login -p [REDACTED] reg",
    )


def test_env_is_exported_before_the_whole_command() -> None:
    wire, shown = render_for_wire(all_of(cmd("a"), cmd("b")), {"X": "1 2", "TOKEN": Secret("s3")})
    assert wire == "export X='1 2'; export TOKEN=s3; a && b"
    assert shown == "export X='1 2'; export TOKEN=[REDACTED]; a && b"


def test_a_bad_env_name_is_refused() -> None:
    with pytest.raises(ValueError, match="'A B' is not a valid variable name"):
        render_for_wire(cmd("true"), {"A B": "x"})


def test_remote_paths_are_relative_to_home() -> None:
    assert remote_path("~/.dockyard/a.env") == ".dockyard/a.env"
    assert remote_path("/etc/x") == "/etc/x"
    assert remote_path("~") == "."


def test_round_trips_count_commands_uploads_and_streams() -> None:
    assert HostStats(connections=1, commands=5, uploads=2, streams=1).round_trips == 8


def test_secrets_are_found_in_nested_commands_env_and_input() -> None:
    nested = pipe(all_of(cmd("x", Secret("one"))), Raw(Secret("two")))
    found = secrets_in(nested, {"K": Secret("three"), "L": "plain"}, Secret("four"))
    assert found == {"one", "two", "three", "four"}
    assert secrets_in(cmd("x", Secret(""))) == set()


def test_the_log_filter_redacts_remembered_secrets() -> None:
    log_filter = SecretLogFilter()
    log_filter.remember({"hunter2", "hunter22"})
    record = logging.LogRecord("asyncssh", 20, "", 0, "Command: %s", ("pw hunter22 hunter2",), None)
    assert log_filter.filter(record)
    assert record.getMessage() == "Command: pw [REDACTED] [REDACTED]"


def test_installing_sets_the_asyncssh_level_and_uninstalling_removes_the_filter() -> None:
    logger = logging.getLogger("asyncssh")
    level = logger.level
    try:
        log_filter = SecretLogFilter.install(logging.ERROR)
        assert logger.level == logging.ERROR
        assert log_filter in logger.filters
        log_filter.uninstall()
        assert log_filter not in logger.filters
    finally:
        logger.setLevel(level)


def test_attaching_twice_keeps_one_filter() -> None:
    logger = logging.getLogger("asyncssh")
    level = logger.level
    log_filter = SecretLogFilter.install(level)
    try:
        log_filter.attach()
        assert logger.filters.count(log_filter) == 1
    finally:
        log_filter.uninstall()

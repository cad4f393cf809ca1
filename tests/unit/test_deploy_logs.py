"""Kamal 2.12's output settings: a command's log lines written to a file of its own, and sent as
OTLP log records to a collector (here a local OTLP HTTP receiver that decodes each request with
the official opentelemetry-proto messages)."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from dockyard.config.settings import Output
from dockyard.runlog import RunInfo, open_run_log

DEPLOY = RunInfo(
    command="deploy", service="shop", version="v7", destination="staging",
    performer="ops@shop.test", hosts=("10.0.0.1", "10.0.0.2"),
)  # fmt: skip


class Receiver(BaseHTTPRequestHandler):
    """An OTLP HTTP logs receiver: keeps each request's path, content type and decoded body."""

    received: list[tuple[str, str, ExportLogsServiceRequest]]
    status = 200

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportLogsServiceRequest.FromString(body)
        self.received.append((self.path, self.headers["Content-Type"], request))
        self.send_response(self.status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[str, str, ExportLogsServiceRequest]]]]:
    received: list[tuple[str, str, ExportLogsServiceRequest]] = []
    handler = type("Handler", (Receiver,), {"received": received})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


def attributes(pairs: Any) -> dict[str, Any]:
    def value(kv: KeyValue) -> Any:
        kind = kv.value.WhichOneof("value")
        return getattr(kv.value, kind) if kind else None

    return {kv.key: value(kv) for kv in pairs}


def test_otel_sends_the_commands_lines_to_an_otlp_receiver(receiver: Any) -> None:
    endpoint, received = receiver
    warnings: list[str] = []
    log = open_run_log(Output(otel_endpoint=endpoint + "/"), DEPLOY, warnings.append)
    assert log is not None
    log.line("  Building the image")
    log.line("  [10.0.0.1] booted shop-web-v7\n  [10.0.0.1] switched", host="10.0.0.1")
    log.line("  [10.0.0.2] 9 SSH round trips", host="10.0.0.2", severity="debug")
    said = log.finish(RuntimeError("10.0.0.2: unhealthy"))
    assert said == [f"Logs sent to {endpoint}/"] and warnings == []
    assert {(path, kind) for path, kind, _ in received} == {("/v1/logs", "application/x-protobuf")}
    resources = [r for _, _, request in received for r in request.resource_logs]
    assert attributes(resources[0].resource.attributes) == {
        "service.name": "dockyard", "service.version": attributes(
            resources[0].resource.attributes)["service.version"],
        "kamal.run_id": attributes(resources[0].resource.attributes)["kamal.run_id"],
        "kamal.performer": "ops@shop.test", "service.namespace": "shop",
        "kamal.deploy_version": "v7", "deployment.environment.name": "staging",
    }  # fmt: skip
    records = [rec for r in resources for scope in r.scope_logs for rec in scope.log_records]
    assert [r.body.string_value for r in records] == [
        "kamal.start", "  Building the image", "  [10.0.0.1] booted shop-web-v7",
        "  [10.0.0.1] switched", "  [10.0.0.2] 9 SSH round trips", "kamal.failed",
    ]  # fmt: skip
    start, first, booted, _, trips, failed = records
    run_id = attributes(resources[0].resource.attributes)["kamal.run_id"]
    assert start.event_name == "kamal.start" and attributes(start.attributes) == {
        "kamal.command": "deploy", "deployment.id": run_id, "deployment.name": "deploy shop"
    }  # fmt: skip
    assert (first.severity_text, first.severity_number, list(first.attributes)) == ("INFO", 9, [])
    assert attributes(booted.attributes) == {"server.address": "10.0.0.1"}
    assert (trips.severity_text, trips.severity_number) == ("DEBUG", 5)
    assert failed.event_name == "kamal.failed" and failed.severity_text == "ERROR"
    failure = attributes(failed.attributes)
    assert failure["exception.type"] == "RuntimeError"
    assert failure["exception.message"] == "10.0.0.2: unhealthy"
    assert failure["deployment.id"] == run_id and isinstance(failure["kamal.runtime"], float)
    assert failure["deployment.status"] == "failed" and failure["kamal.command"] == "deploy"
    assert all(r.time_unix_nano > 0 and r.observed_time_unix_nano > 0 for r in records)


def test_otel_completes_a_command_that_is_no_deploy_without_deployment_attributes(
    receiver: Any,
) -> None:
    endpoint, received = receiver
    info = RunInfo(command="app", subcommand="boot", service="shop", version="v7")
    log = open_run_log(Output(otel_endpoint=endpoint), info, pytest.fail)
    assert log is not None
    log.finish(None)
    records = [
        rec for _, _, request in received for r in request.resource_logs
        for scope in r.scope_logs for rec in scope.log_records
    ]  # fmt: skip
    assert [(r.event_name, r.severity_text) for r in records] == [
        ("kamal.start", "INFO"), ("kamal.complete", "INFO")
    ]  # fmt: skip
    assert set(attributes(records[1].attributes)) == {"kamal.command", "kamal.runtime"}
    assert attributes(records[1].attributes)["kamal.command"] == "app boot"


def test_many_lines_go_in_batches_of_at_most_100_and_none_is_lost(receiver: Any) -> None:
    endpoint, received = receiver
    log = open_run_log(Output(otel_endpoint=endpoint), DEPLOY, pytest.fail)
    assert log is not None
    for index in range(250):
        log.line(f"line {index}")
    log.finish(None)
    batches = [
        [rec.body.string_value for r in request.resource_logs for scope in r.scope_logs
         for rec in scope.log_records]
        for _, _, request in received
    ]  # fmt: skip
    assert max(len(batch) for batch in batches) <= 100
    sent = [body for batch in batches for body in batch]
    assert sent == ["kamal.start", *(f"line {i}" for i in range(250)), "kamal.complete"]


def test_a_collector_that_refuses_or_is_gone_is_one_warning_and_the_command_goes_on(
    receiver: Any,
) -> None:
    endpoint, received = receiver
    Receiver.status = 500
    try:
        warnings: list[str] = []
        log = open_run_log(Output(otel_endpoint=endpoint), DEPLOY, warnings.append)
        assert log is not None
        for index in range(250):  # more than one batch
            log.line(f"line {index}")
        log.finish(None)
    finally:
        Receiver.status = 200
    (refused,) = [request for _, _, request in received]  # nothing more after one refusal
    assert 0 < len(refused.resource_logs[0].scope_logs[0].log_records) <= 100
    assert warnings == [
        f"the deploy logs could not be sent to {endpoint}/v1/logs: HTTP 500 Internal Server "
        "Error; check output/otel/endpoint (the command itself goes on)"
    ]
    gone: list[str] = []
    log = open_run_log(Output(otel_endpoint="http://127.0.0.1:9"), DEPLOY, gone.append)
    assert log is not None
    log.finish(None)
    assert len(gone) == 1 and "Connection refused" in gone[0]


def test_file_writes_one_log_per_command_as_kamal_names_it(tmp_path: Path) -> None:
    directory = tmp_path / "log" / "deploys"
    log = open_run_log(Output(file_path=str(directory)), DEPLOY, pytest.fail)
    assert log is not None
    log.line("  Building the image")
    log.line("  [10.0.0.1] booted shop-web-v7", host="10.0.0.1")
    said = log.finish(None)
    (written,) = directory.iterdir()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d_staging_deploy\.log", written.name)
    assert said == [f"Logs written to {written}"]
    lines = written.read_text().splitlines()
    assert lines[:2] == ["  Building the image", "  [10.0.0.1] booted shop-web-v7"]
    assert re.fullmatch(r"# Completed in \d+\.\ds", lines[2]) and len(lines) == 3
    assert log.finish(None) == []  # once
    info = RunInfo(command="app", subcommand="boot", service="shop")
    log = open_run_log(Output(file_path=str(directory)), info, pytest.fail)
    assert log is not None
    log.finish(RuntimeError("boom"))
    (failed,) = directory.glob("*_app_boot.log")
    assert re.fullmatch(r"# FAILED: RuntimeError: boom \(\d+\.\ds\)\n", failed.read_text())


def test_a_deploy_through_the_cli_logs_its_lines_and_how_it_failed(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "deploy.yml").write_text(
        "service: shop\nimage: team/shop\nservers: [127.0.0.1]\n"
        "registry: {server: registry.lab:5000, username: u, password: p}\n"
        "builder: {arch: amd64}\nssh: {port: 9, config: false}\nerror_pages_path: pages\n"
        "output: {file: {path: log}}\n"
    )
    hook = tmp_path / ".kamal" / "hooks" / "pre-connect"  # fails before any connection
    hook.parent.mkdir(parents=True)
    hook.write_text("#!/bin/sh\necho 'no VPN'\nexit 3\n")
    hook.chmod(0o755)
    done = subprocess.run(
        [sys.executable, "-m", "dockyard", "deploy", "-P", "--version", "v1"], cwd=tmp_path,
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    (written,) = (tmp_path / "log").iterdir()
    assert written.name.endswith("_deploy.log")
    assert f"Logs written to log/{written.name}" in done.stdout
    lines = written.read_text().splitlines()
    assert lines[0].startswith("WARNING: error_pages_path is not supported")
    assert done.stderr.count("WARNING: error_pages_path") == 1
    error = done.stderr.strip().splitlines()[-1]
    assert error == (
        "ERROR (HookError): hook pre-connect exited 3: no VPN; fix it, or skip hooks with "
        "-H/--skip-hooks"
    )
    kind, message = error.removeprefix("ERROR (").split("): ", 1)
    assert re.fullmatch(rf"# FAILED: {kind}: {re.escape(message)} \(\d+\.\ds\)", lines[-1])

"""output/otel: the command's lines as OTLP log records, POSTed as protobuf to
`<endpoint>/v1/logs` (OTLP HTTP), built with the official opentelemetry-proto messages.

As Kamal 2.12's OtelShipper: resource attributes from Kamal's tags (service.namespace,
kamal.deploy_version, kamal.performer, deployment.environment.name, kamal.run_id), one record per
line (server.address when a host said it), the events kamal.start, kamal.complete and
kamal.failed, batches of 100, a flush every 5 s from a background thread, and one warning the
first time shipping fails (nothing more is sent then, unlike Kamal, which tries every batch): the
command never fails because of the collector, and waits on it at most one request's timeout at
the end.
"""

from __future__ import annotations

import queue
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, InstrumentationScope, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from dockyard import __version__
from dockyard.runlog.info import Failure, RunInfo, Severity

BATCH_SIZE = 100
FLUSH_INTERVAL = 5.0  # seconds
CONNECT_TIMEOUT = 2.0
SEVERITIES = {"debug": 5, "info": 9, "warn": 13, "error": 17, "fatal": 21}
DEPLOY_COMMANDS = ("deploy", "redeploy", "rollback", "setup")

Value = str | int | float


def attribute(key: str, value: Value) -> KeyValue:
    if isinstance(value, bool | str):
        return KeyValue(key=key, value=AnyValue(string_value=str(value)))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(double_value=value))


def resource(info: RunInfo, run_id: str) -> Resource:
    tags: dict[str, Value] = {
        "service.name": "dockyard",
        "service.version": __version__,
        "kamal.run_id": run_id,
        "kamal.performer": info.performer,
        "service.namespace": info.service,
        "kamal.deploy_version": info.version,
    }
    if info.destination:
        tags["deployment.environment.name"] = info.destination
    return Resource(attributes=[attribute(k, v) for k, v in tags.items() if v != ""])


def record(
    body: str,
    severity: Severity = "info",
    attributes: Mapping[str, Value] | None = None,
    event: str = "",
) -> LogRecord:
    now = time.time_ns()
    return LogRecord(
        time_unix_nano=now,
        observed_time_unix_nano=now,
        severity_number=SEVERITIES.get(severity, 9),  # type: ignore[arg-type]
        severity_text=severity.upper(),
        body=AnyValue(string_value=body),
        attributes=[attribute(k, v) for k, v in (attributes or {}).items()],
        event_name=event,
    )


def payload(resource_: Resource, records: list[LogRecord]) -> bytes:
    scope = InstrumentationScope(name="dockyard", version=__version__)
    logs = ResourceLogs(
        resource=resource_, scope_logs=[ScopeLogs(scope=scope, log_records=records)]
    )
    return bytes(ExportLogsServiceRequest(resource_logs=[logs]).SerializeToString())


class OtlpLog:
    def __init__(self, endpoint: str, info: RunInfo, warn: Callable[[str], None]) -> None:
        self.endpoint = endpoint
        self.url = f"{endpoint.rstrip('/')}/v1/logs"
        self.info = info
        self.warn = warn
        self.run_id = str(uuid.uuid4())
        self.resource = resource(info, self.run_id)
        self.buffer: queue.SimpleQueue[LogRecord] = queue.SimpleQueue()
        self.wake = threading.Event()
        self.running = True
        self.lock = threading.Lock()
        self.failed = False
        self.thread = threading.Thread(target=self._flush_loop, name="otlp-logs", daemon=True)

    @classmethod
    def start(cls, endpoint: str, info: RunInfo, warn: Callable[[str], None]) -> OtlpLog:
        log = cls(endpoint, info, warn)
        log._enqueue(
            record("kamal.start", attributes=log._command_attributes(), event="kamal.start")
        )
        log.thread.start()
        return log

    def line(self, text: str, host: str | None, severity: Severity) -> None:
        extra = {"server.address": host} if host else None
        for part in text.splitlines() or [""]:
            self._enqueue(record(part, severity, extra))

    def finish(self, failure: Failure | None, runtime: float) -> str:
        attributes = {**self._command_attributes(), "kamal.runtime": runtime}
        if self.info.command in DEPLOY_COMMANDS:
            attributes["deployment.status"] = "failed" if failure else "succeeded"
        if failure is None:
            self._enqueue(record("kamal.complete", attributes=attributes, event="kamal.complete"))
        else:
            attributes |= {"exception.type": failure.kind, "exception.message": failure.message}
            self._enqueue(
                record("kamal.failed", "error", attributes=attributes, event="kamal.failed")
            )
        self.running = False
        self.wake.set()
        self.thread.join(FLUSH_INTERVAL + 1)
        self.flush()
        return f"Logs sent to {self.endpoint}"

    def _command_attributes(self) -> dict[str, Value]:
        attributes: dict[str, Value] = {"kamal.command": self.info.full_command}
        if self.info.command in DEPLOY_COMMANDS:
            attributes["deployment.id"] = self.run_id
            attributes["deployment.name"] = f"{self.info.full_command} {self.info.service}"
        return attributes

    def _enqueue(self, entry: LogRecord) -> None:
        self.buffer.put(entry)
        if self.buffer.qsize() >= BATCH_SIZE:
            self.wake.set()

    def _flush_loop(self) -> None:
        while self.running:
            self.wake.wait(FLUSH_INTERVAL)
            self.wake.clear()
            self.flush()

    def flush(self) -> None:
        with self.lock:
            records = []
            while not self.buffer.empty():
                records.append(self.buffer.get_nowait())
            for start in range(0, len(records), BATCH_SIZE):
                self._ship(records[start : start + BATCH_SIZE])

    def _ship(self, records: list[LogRecord]) -> None:
        if self.failed:  # one refusal or timeout is enough: the command never waits on more
            return
        request = urllib.request.Request(
            self.url,
            data=payload(self.resource, records),
            headers={"Content-Type": "application/x-protobuf"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT + 3) as response:
                response.read()
        except urllib.error.HTTPError as error:
            self._failed(f"HTTP {error.code} {error.reason}")
        except (OSError, ValueError) as error:
            self._failed(str(getattr(error, "reason", error)))

    def _failed(self, cause: str) -> None:
        if not self.failed:
            self.failed = True
            self.warn(
                f"the deploy logs could not be sent to {self.url}: {cause}; check "
                "output/otel/endpoint (the command itself goes on)"
            )

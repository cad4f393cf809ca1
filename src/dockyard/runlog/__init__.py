"""The log of one command that changes servers, sent where Kamal 2.12's `output:` says.

    log = open_run_log(config.output, RunInfo(command="deploy", ...))   # None without output:
    log.line("  [10.0.0.1] booted shop-web-v2", host="10.0.0.1")
    said = log.finish(error)        # "Logs written to ..." / "Logs sent to ...", one per place

`output/file/path`: one file per command, named as Kamal names it
(`<time>_[<destination>_]<command>[_<subcommand>].log`), ending with `# Completed in 1.2s` or
`# FAILED: Type: message (1.2s)`. `output/otel/endpoint`: OTLP HTTP log records (protobuf) to
`<endpoint>/v1/logs`, with Kamal's start/complete/failed events and resource attributes, shipped
in batches by a background thread so a slow collector never slows the command.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from dockyard.config.settings import Output
from dockyard.errors import DockyardError
from dockyard.runlog.info import Failure, RunInfo, Severity, Sink

__all__ = ["Failure", "RunInfo", "RunLog", "Severity", "Sink", "open_run_log"]


class RunLog:
    """Every line of the command to each sink; finish once."""

    def __init__(self, sinks: Sequence[Sink], clock: Callable[[], float] = time.monotonic):
        self.sinks = tuple(sinks)
        self.clock = clock
        self.started = clock()
        self.finished = False

    def line(self, text: str, host: str | None = None, severity: Severity = "info") -> None:
        if self.finished:
            return
        for sink in self.sinks:
            sink.line(text, host, severity)

    def finish(self, error: BaseException | None) -> list[str]:
        if self.finished:
            return []
        self.finished = True
        runtime = round(self.clock() - self.started, 1)
        failure = None if error is None else Failure(_kind(error), str(error))
        return [sink.finish(failure, runtime) for sink in self.sinks]


def _kind(error: BaseException) -> str:
    """The type named as the CLI names it (a failed deploy is shown as the error it wraps)."""
    return error.kind if isinstance(error, DockyardError) else type(error).__name__


def open_run_log(output: Output, info: RunInfo, warn: Callable[[str], None]) -> RunLog | None:
    """The run log the config asks for (None when `output:` names nowhere). `warn` hears, once,
    that shipping to the collector failed (the command itself goes on)."""
    sinks: list[Sink] = []
    if output.file_path:
        # start-up: the sinks are imported only for a config with output: (the OTLP messages
        # cost about 180 ms to import; measured with python -X importtime)
        from dockyard.runlog.file import FileLog

        sinks.append(FileLog.open(output.file_path, info))
    if output.otel_endpoint:
        # start-up: see above
        from dockyard.runlog.otlp import OtlpLog

        sinks.append(OtlpLog.start(output.otel_endpoint, info, warn))
    return RunLog(sinks) if sinks else None

"""output/file: the command's lines in a file of their own, named and ended as Kamal does."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TextIO

from dockyard.errors import ConfigError
from dockyard.runlog.info import Failure, RunInfo, Severity


def file_name(info: RunInfo, now: time.struct_time) -> str:
    """`2026-07-01T10-30-00_[staging_]app_boot.log`."""
    command = "_".join(word for word in (info.command, info.subcommand) if word)
    parts = [time.strftime("%Y-%m-%dT%H-%M-%S", now), info.destination, command]
    return "_".join(part for part in parts if part) + ".log"


class FileLog:
    def __init__(self, path: Path, file: TextIO) -> None:
        self.path = path
        self.file = file

    @classmethod
    def open(cls, directory: str, info: RunInfo) -> FileLog:
        path = Path(directory) / file_name(info, time.localtime())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            file = path.open("a", encoding="utf-8", buffering=1)  # line-buffered, as Kamal syncs
        except OSError as error:
            raise ConfigError(
                f"cannot write the log file {path}: {error.strerror}; fix output/file/path",
                key="output/file/path",
            ) from None
        return cls(path, file)

    def line(self, text: str, host: str | None, severity: Severity) -> None:
        self.file.write(f"{text}\n")

    def finish(self, failure: Failure | None, runtime: float) -> str:
        if failure is None:
            self.file.write(f"# Completed in {runtime}s\n")
        else:
            self.file.write(f"# FAILED: {failure.kind}: {failure.message} ({runtime}s)\n")
        self.file.close()
        return f"Logs written to {self.path}"

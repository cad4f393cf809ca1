"""Running vendor CLIs and secrets-file commands: argv lists, stderr shown live and kept."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class Done:
    """What a finished program did. stdout is kept whole; of stderr only its last line."""

    exit_status: int
    stdout: str
    stderr_tail: str

    @property
    def ok(self) -> bool:
        return self.exit_status == 0


def run_program(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    quiet: bool = False,
) -> Done:
    """Run argv (never through a shell unless argv says so). stdin stays the terminal, so
    vendor CLIs can prompt; stderr is passed through live (unless quiet) and its last line kept.
    Raises FileNotFoundError if the program is not installed."""
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    reader = threading.Thread(target=_relay, args=(process.stderr, lines, quiet), daemon=True)
    reader.start()
    stdout = process.stdout.read()
    process.stdout.close()
    process.wait()
    reader.join()
    tail = next((line for line in reversed(lines) if line.strip()), "")
    return Done(process.returncode, stdout.decode(errors="replace"), tail.strip())


def _relay(stream: IO[bytes], lines: list[str], quiet: bool) -> None:
    for raw in iter(stream.readline, b""):
        line = raw.decode(errors="replace")
        lines[:] = [*lines[-4:], line]
        if not quiet:
            sys.stderr.write(line)
            sys.stderr.flush()
    stream.close()


def run_shell(command: str, *, env: Mapping[str, str], cwd: Path) -> Done:
    """A command line from a secrets file, run by /bin/sh as Ruby's backticks run it."""
    return run_program(["/bin/sh", "-c", command], env=env, cwd=cwd)

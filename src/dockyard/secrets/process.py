"""Running vendor CLIs and secrets-file commands: argv lists, stderr shown live and kept."""

from __future__ import annotations

import codecs
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from dockyard.redaction import REDACTED


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
    redact: Sequence[str] = (),
) -> Done:
    """Run argv (never through a shell unless argv says so). stdin stays the terminal, so
    vendor CLIs can prompt; stderr is passed through as it comes (unless quiet), with the
    `redact` values replaced, and its last line kept. Raises FileNotFoundError if the program
    is not installed."""
    process = subprocess.Popen(
        list(argv),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    assert process.stdout is not None and process.stderr is not None
    kept: list[str] = []
    relay = threading.Thread(target=_relay, args=(process.stderr, kept, quiet, redact), daemon=True)
    relay.start()
    stdout = process.stdout.read()
    process.stdout.close()
    process.wait()
    relay.join()
    lines = [line for line in "".join(kept).splitlines() if line.strip()]
    return Done(
        process.returncode, stdout.decode(errors="replace"), lines[-1].strip() if lines else ""
    )


def redacted(text: str, values: Sequence[str]) -> str:
    """text with each value (of 3 characters or more, longest first) as [REDACTED]."""
    for value in sorted(values, key=len, reverse=True):
        if len(value) >= 3:
            text = text.replace(value, REDACTED)
    return text


def _relay(stream: IO[bytes], kept: list[str], quiet: bool, values: Sequence[str]) -> None:
    # Chunks as they come, not lines, so that a prompt without a newline is seen at once.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    read = getattr(stream, "read1", stream.read)
    while chunk := read(65536):
        text = redacted(decoder.decode(chunk), values)
        kept[:] = ["".join(kept)[-4096:] + text]
        if not quiet:
            sys.stderr.write(text)
            sys.stderr.flush()
    stream.close()


def run_shell(command: str, *, env: Mapping[str, str], cwd: Path, redact: Sequence[str]) -> Done:
    """A command line from a secrets file, run by /bin/sh as Ruby's backticks run it."""
    return run_program(["/bin/sh", "-c", command], env=env, cwd=cwd, redact=redact)

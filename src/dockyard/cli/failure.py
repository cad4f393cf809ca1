"""How a failed command ends on the terminal: the one `ERROR (Type): message` line first (on
stderr: it is all stderr holds), then what it cannot hold, right below it (on stdout) and
trimmed: where a failed deploy left each role on each host, a failed container's last log
lines, a failed command's last stderr lines (the engine's own words) under the name of the step
that ran it. The command itself, an internal script that can run to kilobytes, only with -v
(redacted, as every rendering is).

    click.echo(error_line(error), err=True)
    for line in failure_details(error, verbose=False):
        click.echo(line)
"""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.errors import (
    AccessoriesFailed,
    AccessoryError,
    CommandFailed,
    DeployFailed,
    DockyardError,
    HostsFailed,
    LockError,
    StepFailed,
)

LOG_LINES = 30  # a failed container's (or build's) last log lines shown
STDERR_LINES = 10  # a failed command's last stderr lines shown
WIDTH = 200  # characters of one shown line


def error_line(error: DockyardError) -> str:
    return f"ERROR ({error.kind}): {error}"


def failure_details(error: DockyardError, *, verbose: bool = False) -> list[str]:
    """What goes below the error line."""
    return [line for _, line in failure_details_by_host(error, verbose=verbose)]


def failure_details_by_host(
    error: DockyardError, *, verbose: bool = False
) -> list[tuple[str | None, str]]:
    """The same, each line with the host it is about (None: the whole command), for run logs."""
    lines: list[tuple[str | None, str]] = []
    if isinstance(error, DeployFailed):
        lines.append((None, "  Where each role was left:"))
        lines += [(row.host, f"    {row.host} {row.role}: {row.summary}") for row in error.left]
    for host, each in _per_host(error):
        lines += [(host or None, line) for line in _details(host, each, verbose)]
    return lines


def _details(host: str, error: BaseException, verbose: bool) -> Iterator[str]:
    prefix = f"  [{host}] " if host else "  "
    logs = getattr(error, "logs", None)
    if logs:
        yield f"{prefix}last log lines of {getattr(error, 'name', 'the container')}:"
        yield from (f"{prefix}  {_cut(line)}" for line in str(logs).splitlines()[-LOG_LINES:])
    failed = error.__cause__ if isinstance(error, StepFailed | AccessoryError) else error
    if not isinstance(failed, CommandFailed):
        return
    result = failed.result
    step = error.what if isinstance(error, StepFailed) else f"`{_cut(result.command, 60)}`"
    stderr = result.stderr.strip().splitlines()
    if stderr:
        yield f"{prefix}{step}: exited {result.exit_status}; its last lines on stderr:"
        yield from (f"{prefix}  {_cut(line)}" for line in stderr[-STDERR_LINES:])
    if verbose:
        yield f"{prefix}{step}: the command (secrets redacted):"
        yield from (f"{prefix}  {line}" for line in result.command.splitlines())


def _per_host(error: BaseException, host: str = "") -> list[tuple[str, BaseException]]:
    """Each host's own error, looking inside a failed deploy, a lock left after a failure,
    HostsFailed and AccessoriesFailed (nested too)."""
    if isinstance(error, DeployFailed):
        return _per_host(error.error, host)
    if isinstance(error, LockError) and isinstance(error.__cause__, DockyardError):
        return _per_host(error.__cause__, host)  # the failure the lock was released after
    if isinstance(error, HostsFailed | AccessoriesFailed):
        return [pair for name, err in error.errors.items() for pair in _per_host(err, name)]
    if isinstance(error, CommandFailed):
        return [(host or error.result.host, error)]
    return [(host or getattr(error, "host", ""), error)]


def _cut(line: str, width: int = WIDTH) -> str:
    line = line.rstrip()
    return line if len(line) <= width else line[: width - 1] + "…"

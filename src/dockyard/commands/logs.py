"""Reading a container's logs (pure): `app logs`, `accessory logs` and `proxy logs`.

    merged(accessory.logs(DOCKER, "shop-db", 100, None, False), grep="ERROR")
      -> docker logs --tail 100 shop-db 2>&1 | grep --line-buffered -e ERROR
    current_logs(DOCKER, label_filters("demo", "web"), LogQuery(lines=100))
      -> id=$(docker ps --latest --quiet --filter status=running ... ) && ... docker logs ...

The engine gives a container's stderr on its own stderr: `merged` joins it to stdout, so a
pattern sees both. A query with `follow` is for an interactive ssh (`logs -f`). A read that
must tell "no such container" from "no line" is guarded: it exits NO_CONTAINER when there is
none.

    when_present(DOCKER, "shop-db", merged(accessory.logs(DOCKER, "shop-db", 100, None, False)))
      -> docker container inspect shop-db >/dev/null 2>&1 || exit 3; docker logs ... 2>&1
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.commands.base import Cmd, Command, Raw, cmd, pipe, repeat
from dockyard.engine import Engine

# The exit status of a guarded read (current_logs, container_logs, when_present) when the host
# has no such container (grep and the engines exit 0, 1, 2, 125-127): the workflow tells it from
# a failure by it.
NO_CONTAINER = 3


@dataclass(frozen=True)
class LogQuery:
    """What `app logs` asks for, with Kamal's meanings: -n, -s, timestamps unless -T, -g and
    --grep-options (split into words), -f."""

    lines: int | None = None
    since: str | None = None
    timestamps: bool = True
    grep: str | None = None
    grep_options: tuple[str, ...] = ()
    follow: bool = False


def default_lines(
    lines: int | None, *, since: str | None, grep: str | None, follow: bool
) -> int | None:
    """Kamal's: -n when given; else all lines when -s or -g narrows them; else 100 (10 when
    following)."""
    if lines is not None:
        return lines
    if since or grep:
        return None
    return 10 if follow else 100


def log_flags(
    lines: int | None, since: str | None, timestamps: bool = False, follow: bool = False
) -> list[str]:
    return [
        *(["--tail", str(lines)] if lines else []),
        *(["--since", since] if since else []),
        *(["--timestamps"] if timestamps else []),
        *(["--follow"] if follow else []),
    ]


def merged(logs: Command, grep: str | None = None, grep_options: Sequence[str] = ()) -> Command:
    """The logs with stderr joined to stdout, only the lines matching `grep` when given."""
    joined = Raw(f"{logs.render()} 2>&1")
    if grep is None:
        return joined
    return pipe(joined, _grep(grep, grep_options))


def current_logs(engine: Engine, filters: Sequence[str], query: LogQuery) -> Raw:
    """The logs of the newest running (or, on Docker, restarting) container the filters match:
    a role's current one, as Kamal picks it. Exits NO_CONTAINER, saying so on stderr, when
    none is."""
    newest = cmd(
        engine.name, "ps", "--latest", "--quiet", *filters,
        *repeat("--filter", [f"status={state}" for state in engine.active_states]),
    )  # fmt: skip
    return _logs_of(engine, newest.render(), query, "no running container of the role here")


def container_logs(engine: Engine, container: str, query: LogQuery) -> Raw:
    """The logs of one container, by id or name (`--container-id`). Exits NO_CONTAINER,
    saying so on stderr, when the host has no such container."""
    inspect = cmd(engine.name, "container", "inspect", "--format", "{{.Id}}", container)
    found = f"{inspect.render()} 2>/dev/null || true"
    return _logs_of(engine, found, query, f"no container {container} here")


def when_present(engine: Engine, name: str, read: Command) -> Raw:
    """`read`, or exit NO_CONTAINER when the container `name` does not exist."""
    probe = cmd(engine.name, "container", "inspect", name)
    return Raw(f"{probe.render()} >/dev/null 2>&1 || exit {NO_CONTAINER}; {read.render()}")


def _logs_of(engine: Engine, find: str, query: LogQuery, missing: str) -> Raw:
    # `id=$(…)` fails with the engine's own status (its message on stderr); an empty id is
    # NO_CONTAINER. grep exits 1 when nothing matches: that is no line, not a failure.
    logs = cmd(engine.name, "logs", *log_flags(query.lines, query.since, query.timestamps,
                                               query.follow))  # fmt: skip
    text = (
        f'id=$({find}) && {{ [ -n "$id" ] || {{ echo {shlex.quote(missing)} >&2; '
        f'exit {NO_CONTAINER}; }}; }} && {logs.render()} "$id" 2>&1'
    )
    if query.grep is not None:
        text += f" | {{ {_grep(query.grep, query.grep_options).render()} || [ $? -eq 1 ]; }}"
    return Raw(text)


def _grep(pattern: str, options: Sequence[str]) -> Cmd:
    return cmd("grep", "--line-buffered", *options, "-e", pattern)

"""Reading a container's logs (pure): `app logs`, `accessory logs` and `proxy logs`.

    query = LogQuery.kamal(grep="ERROR")      # the options, with Kamal's default line count
    current_logs(DOCKER, label_filters("demo", "web"), query)
      -> id=$(docker ps --latest --quiet --filter … --filter status=running …) && … docker logs …
    container_logs(DOCKER, "shop-db", query)
      -> id=$(docker container inspect --format '{{.Id}}' shop-db 2>/dev/null || true) && …

The engine gives a container's stderr on its own stderr: both reads join it to stdout, so a
pattern sees both. A query with `follow` is for an interactive ssh (`logs -f`). Both reads tell
"no such container" from "no line": they exit NO_CONTAINER when there is none.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.commands.base import Cmd, Raw, cmd, repeat
from dockyard.engine import DOCKER, Engine

# The exit status of a read (current_logs, container_logs) when the host has no such container
# (grep and the engines exit 0, 1, 2, 125-127): the workflow tells it from a failure by it.
NO_CONTAINER = 3


@dataclass(frozen=True)
class LogQuery:
    """What `app logs`, `accessory logs` and `proxy logs` ask for, with Kamal's meanings: -n,
    -s, timestamps unless -T, -g and --grep-options (split into words), -f."""

    lines: int | None = None
    since: str | None = None
    timestamps: bool = True
    grep: str | None = None
    grep_options: tuple[str, ...] = ()
    follow: bool = False

    @classmethod
    def kamal(
        cls,
        *,
        lines: int | None = None,
        since: str | None = None,
        timestamps: bool = True,
        grep: str | None = None,
        grep_options: tuple[str, ...] = (),
        follow: bool = False,
    ) -> LogQuery:
        """The command line's options as Kamal reads them: -n when given; else all lines when
        -s or -g narrows them; else 100 (10 when following)."""
        if lines is None and not (since or grep):
            lines = 10 if follow else 100
        return cls(lines, since, timestamps, grep, grep_options, follow)

    def flags(self) -> list[str]:
        """`logs` flags, in a fixed order and only when asked."""
        return [
            *(["--tail", str(self.lines)] if self.lines else []),
            *(["--since", self.since] if self.since else []),
            *(["--timestamps"] if self.timestamps else []),
            *(["--follow"] if self.follow else []),
        ]


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
    """The logs of one container, by id or name (`--container-id`, an accessory, the proxy).
    Exits NO_CONTAINER, saying so on stderr, when the host has no such container."""
    inspect = cmd(engine.name, "container", "inspect", "--format", "{{.Id}}", container)
    found = f"{inspect.render()} 2>/dev/null || true"
    return _logs_of(engine, found, query, f"no container {container} here")


def service_logs(service: str, query: LogQuery) -> Raw:
    """The logs of a swarm service, every task's (on a manager). Exits NO_CONTAINER, saying so
    on stderr, when the swarm has no such service."""
    inspect = cmd("docker", "service", "inspect", "--format", "{{.ID}}", service)
    found = f"{inspect.render()} 2>/dev/null || true"
    logs = cmd("docker", "service", "logs", *query.flags())
    return _logs_of(DOCKER, found, query, f"no service {service} in the swarm", logs)


def _logs_of(
    engine: Engine, find: str, query: LogQuery, missing: str, logs: Cmd | None = None
) -> Raw:
    # `id=$(…)` fails with the engine's own status (its message on stderr); an empty id is
    # NO_CONTAINER. grep exits 1 when nothing matches: that is no line, not a failure.
    logs = logs or cmd(engine.name, "logs", *query.flags())
    text = (
        f'id=$({find}) && {{ [ -n "$id" ] || {{ echo {shlex.quote(missing)} >&2; '
        f'exit {NO_CONTAINER}; }}; }} && {logs.render()} "$id" 2>&1'
    )
    if query.grep is not None:
        text += f" | {{ {_grep(query.grep, query.grep_options).render()} || [ $? -eq 1 ]; }}"
    return Raw(text)


def _grep(pattern: str, options: Sequence[str]) -> Cmd:
    return cmd("grep", "--line-buffered", *options, "-e", pattern)

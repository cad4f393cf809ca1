"""Reading a container's logs (pure): `app logs`, `accessory logs` and `proxy logs`.

    merged(accessory.logs(DOCKER, "shop-db", 100, None, False), grep="ERROR")
      -> docker logs --tail 100 shop-db 2>&1 | grep --line-buffered -e ERROR
    newest_logs(DOCKER, label_filters("demo", "web"), lines=100)
      -> docker logs --tail 100 $(docker ps --latest --quiet --filter ...)

The engine gives a container's stderr on its own stderr: `merged` joins it to stdout, so a
pattern sees both. `follow` is for an interactive ssh (`logs -f`). A read that must tell "no
such container" from "no line" is guarded: it exits NO_CONTAINER when there is none.

    when_present(DOCKER, "shop-db", merged(accessory.logs(DOCKER, "shop-db", 100, None, False)))
      -> docker container inspect shop-db >/dev/null 2>&1 || exit 3; docker logs ... 2>&1
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands.base import Command, Raw, cmd, pipe
from dockyard.engine import Engine

NO_CONTAINER = 3  # the exit status of a guarded read whose container does not exist (the
# engine exits 1 or 125, grep 0 to 2)


def log_flags(
    lines: int | None, since: str | None, timestamps: bool = False, follow: bool = False
) -> list[str]:
    return [
        *(["--tail", str(lines)] if lines else []),
        *(["--since", since] if since else []),
        *(["--timestamps"] if timestamps else []),
        *(["--follow"] if follow else []),
    ]


def merged(logs: Command, grep: str | None = None) -> Command:
    """The logs with stderr joined to stdout, only the lines matching `grep` when given."""
    joined = Raw(f"{logs.render()} 2>&1")
    if grep is None:
        return joined
    return pipe(joined, cmd("grep", "--line-buffered", "-e", grep))


def newest_logs(
    engine: Engine,
    filters: Sequence[str],
    *,
    lines: int | None = 100,
    since: str | None = None,
    timestamps: bool = False,
    follow: bool = False,
) -> Raw:
    """The logs of the newest container the filters match (a role's current one)."""
    logs = cmd(engine.name, "logs", *log_flags(lines, since, timestamps, follow))
    newest = cmd(engine.name, "ps", "--latest", "--quiet", *filters)
    return Raw(f"{logs.render()} $({newest.render()})")


def when_present(engine: Engine, name: str, read: Command) -> Raw:
    """`read`, or exit NO_CONTAINER when the container `name` does not exist."""
    probe = cmd(engine.name, "container", "inspect", name)
    return Raw(f"{probe.render()} >/dev/null 2>&1 || exit {NO_CONTAINER}; {read.render()}")


def newest_present_logs(
    engine: Engine,
    filters: Sequence[str],
    *,
    lines: int | None = 100,
    since: str | None = None,
    timestamps: bool = False,
    grep: str | None = None,
) -> Raw:
    """The merged logs of the newest container the filters match, or exit NO_CONTAINER when
    they match none."""
    newest = cmd(engine.name, "ps", "--latest", "--quiet", *filters)
    logs = cmd(engine.name, "logs", *log_flags(lines, since, timestamps))
    read = merged(Raw(f'{logs.render()} "$id"'), grep)
    return Raw(f'id=$({newest.render()}); [ -n "$id" ] || exit {NO_CONTAINER}; {read.render()}')

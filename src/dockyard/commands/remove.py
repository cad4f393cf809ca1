"""What `remove` runs on a host besides each part's own removal (pure): the app's containers,
images and files; the network once nothing uses it; the folders left empty; a look at what
stays on purpose.

    app_containers_images_files(DOCKER, label_filters("demo"), "demo", [".dockyard/apps/demo"])
    network_if_unused(DOCKER)   # prints `removed`, `in use` or `absent`
    app_folders("demo")         # ~/.kamal/apps/demo, then the shared folders left empty
    present([".dockyard/demo-audit.log"], ["dockyard-proxy-data"])   # prints those that exist
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from dockyard.commands.app import NETWORK
from dockyard.commands.base import Cmd, HomePath, Raw, Seq, all_of, cmd
from dockyard.engine import Engine

NETWORK_REMOVED, NETWORK_IN_USE, NETWORK_ABSENT = "removed", "in use", "absent"


def app_containers_images_files(
    engine: Engine, filters: Sequence[str], service: str, paths: Sequence[str]
) -> Seq:
    """Every container the filters match (any state), every image with the service's label
    (those another container still uses stay), and these files and folders under the home."""
    e, listing = engine.name, " ".join(shlex.quote(f) for f in filters)
    return all_of(
        Raw(f"{{ ids=$({e} ps --all --quiet {listing}); "
            f'[ -z "$ids" ] || {e} rm --force $ids >/dev/null; }}'),
        Raw(f"{{ imgs=$({e} images --quiet --filter label=service={shlex.quote(service)}); "
            f'[ -z "$imgs" ] || {e} rmi --force $imgs >/dev/null 2>&1 || true; }}'),
        cmd("rm", "-rf", *(HomePath(p) for p in paths)),
    )  # fmt: skip


def image(engine: Engine, name: str) -> Cmd:
    """Remove an image by name (an image a container still uses stays: the command fails)."""
    return cmd(engine.name, "image", "rm", name)


def network_if_unused(engine: Engine, network: str = NETWORK) -> Raw:
    """Remove the network when no container is on it; print what became of it (one of the
    NETWORK_* words)."""
    e, n = engine.name, shlex.quote(network)
    return Raw(
        f'if [ -n "$({e} ps --all --quiet --filter network={n})" ]; then '
        f"echo {shlex.quote(NETWORK_IN_USE)}; "
        f"elif {e} network inspect {n} >/dev/null 2>&1; then "
        f"{e} network rm {n} >/dev/null && echo {NETWORK_REMOVED}; "
        f"else echo {NETWORK_ABSENT}; fi"
    )


def app_folders(app: str) -> Raw:
    """The app's folder in Kamal's layout (`~/.kamal/apps/<app>`: env files, as Kamal's remove
    takes it), then the shared folders the app's files were in, where nothing else is left
    (one that holds anything stays, silently)."""
    shared = (".kamal/apps", ".kamal", ".dockyard/apps", ".dockyard/accessories")
    remove = cmd("rm", "-rf", HomePath(f".kamal/apps/{app}"))
    empty = cmd("rmdir", *(HomePath(p) for p in shared))
    return Raw(f"{remove.render()} && {{ {empty.render()} 2>/dev/null || true; }}")


def present(paths: Sequence[str], volumes: Sequence[str], engine: Engine) -> Raw:
    """Which of these files or folders (under the home unless absolute), and of these volumes,
    exist: a line each, as given."""
    checks = " ".join(shlex.quote(p) for p in paths)
    found = (f'for p in {checks}; do case "$p" in /*) f="$p";; *) f="$HOME/$p";; esac; '
             '[ ! -e "$f" ] || echo "$p"; done') if paths else "true"  # fmt: skip
    inspect = [
        f"{engine.name} volume inspect --format '{{{{.Name}}}}' {shlex.quote(v)} 2>/dev/null"
        for v in volumes
    ]
    return Raw("; ".join([found, *(f"{{ {i} || true; }}" for i in inspect)]))

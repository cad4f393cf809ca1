"""`prune` commands (pure): stopped containers beyond the newest N, and images of the service
that no container uses, the `latest` tag kept (Kamal's prune)."""

from __future__ import annotations

from dockyard.commands.app import label_filters, remove_stopped
from dockyard.commands.base import Raw, Seq, all_of, cmd
from dockyard.engine import Engine


def containers(engine: Engine, service: str, destination: str | None, keep: int) -> Seq:
    return remove_stopped(engine, label_filters(service, destination=destination), keep)


def dangling_images(engine: Engine, service: str) -> Raw:
    """Untagged images of the service (what a re-tag leaves behind)."""
    return Raw(cmd(engine.name, "image", "prune", "--force", "--filter", f"label=service={service}")
               .render() + " >/dev/null")  # fmt: skip


def unused_images(engine: Engine, service: str) -> Raw:
    """Tagged images of the service that no container (running or stopped) was made from, except
    `latest`; each removal is printed as `removed <image>`. One brace group, so that it stays one
    command after `&&` (as in `images`)."""
    label = cmd("--filter", f"label=service={service}").render()
    return Raw(
        f"{{ used=$({engine.name} ps --all {label} --format '{{{{.Image}}}}'); "
        f"{engine.name} images {label} --format '{{{{.Repository}}}}:{{{{.Tag}}}}' | "
        "while read image; do "
        'case "$image" in *:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        f'{engine.name} rmi "$image" >/dev/null && echo "removed $image"; '
        "done; true; }"
    )


def images(engine: Engine, service: str) -> Seq:
    return all_of(dangling_images(engine, service), unused_images(engine, service))

"""`prune` commands (pure): what Kamal's prune removes, on one host, for one service.

containers      stopped containers beyond the newest `keep` of each role: "newest" by when a
                container stopped (or was created, if it never ran), since a rollback starts a
                kept container again instead of making a new one as Kamal does; a container set
                aside by a redeploy of its version (REPLACED) is no version to roll back to, so
                it is removed once stopped, without taking a place
dangling_images untagged images of the service that no container uses
unused_images   tagged images of the service that no container was made from, `latest` kept
reported        any of these in a deploy's last trip: their output after PRUNE_MARKER, and a
                failure said on a line of its own instead of stopping what follows
"""

from __future__ import annotations

from dockyard.commands.app import REPLACED, label_filters
from dockyard.commands.base import Command, Raw, Seq, all_of, any_of, cmd
from dockyard.engine import Engine

PRUNE_MARKER = "--- dockyard: prune ---"
PRUNE_FAILED = "--- dockyard: prune failed, exit "

# Each stopped container as `<stopped or created> <finished> <created> <id> <name> <role>
# <destination>`, newest first; then the ids set aside, and those beyond the newest `keep` of
# each role (and destination).
_NEWEST_FIRST = "awk 'NF { t = $1; if ($2 > t) t = $2; print t, $0 }' | LC_ALL=C sort -r"
_BEYOND_KEEP = (
    "awk -v keep={keep} '{{ id = substr($4, 1, 12); aside = $5 ~ /{replaced}/; "
    '$1 = $2 = $3 = $4 = $5 = ""; if (aside || ++kept[$0] > keep) print id }}\''
)


def containers(engine: Engine, service: str, destination: str | None, keep: int) -> Raw:
    """Remove the service's stopped containers beyond the newest `keep` of each role, and those
    set aside; each removal is printed as `removed container <id>`, and any failed one fails
    the whole (after trying the others). One brace group, so that it stays one command after
    `&&`."""
    statuses = [a for state in engine.stopped_states for a in ("--filter", f"status={state}")]
    filters = label_filters(service, destination=destination)
    listing = cmd(engine.name, "ps", "--quiet", "--all", *filters, *statuses).render()
    # `.ID`, not `.Id`: Docker then reads its typed inspect, where a missing label is "" (with
    # `.Id` it falls back to the raw JSON, where one prints `<no value>`); Podman knows both
    template = (
        f"{engine.container_times_template} {{{{.ID}}}} {{{{.Name}}}} "
        '{{index .Config.Labels "role"}} {{index .Config.Labels "destination"}}'
    )
    inspect = cmd(engine.name, "inspect", "--type", "container", "--format", template).render()
    return Raw(
        f"{{ ids=$({listing}) && "
        f'stopped=$([ -z "$ids" ] || {inspect} $ids) && '
        f"printf '%s\\n' \"$stopped\" | {_NEWEST_FIRST} | "
        f"{_BEYOND_KEEP.format(keep=keep, replaced=REPLACED)} | "
        f"{_removing('id', f'{engine.name} rm', 'removed container')}; }}"
    )


def dangling_images(engine: Engine, service: str) -> Raw:
    """Untagged images of the service (what a re-tag leaves behind) that no container uses."""
    return Raw(cmd(engine.name, "image", "prune", "--force", "--filter", f"label=service={service}")
               .render() + " >/dev/null")  # fmt: skip


def unused_images(engine: Engine, service: str) -> Raw:
    """Tagged images of the service that no container (of any app, running or stopped) was made
    from, except `latest`; each removal is printed as `removed <image>`, and any failed one
    fails the whole (after trying the others). One brace group, as `containers`."""
    used = cmd(engine.name, "ps", "--all", "--format", "{{.Image}}").render()
    tagged = cmd(
        engine.name, "images", "--filter", f"label=service={service}",
        "--format", "{{.Repository}}:{{.Tag}}",
    ).render()  # fmt: skip
    skip = (
        'case "$image" in ""|*:latest|*:latest-*|*"<none>"*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
    )
    return Raw(
        f"{{ used=$({used}) && images=$({tagged}) && printf '%s\\n' \"$images\" | "
        f"{_removing('image', f'{engine.name} rmi', 'removed', skip)}; }}"
    )


def _removing(variable: str, remove: str, said: str, skip: str = "") -> str:
    """A loop over the lines of its input: remove each, say so; it fails if any removal did."""
    return (
        f"{{ failed=0; while read {variable}; do {skip}"
        f'{remove} "${variable}" >/dev/null && echo "{said} ${variable}" || failed=1; done; '
        '[ "$failed" = 0 ]; }'
    )


def images(engine: Engine, service: str) -> Seq:
    return all_of(dangling_images(engine, service), unused_images(engine, service))


def reported(*parts: Command) -> Seq:
    """The parts after PRUNE_MARKER, their errors on standard output too; a failure ends them
    with a `PRUNE_FAILED<status>` line and the whole still succeeds, so the steps after it in
    the same trip (the lock's release) run all the same (facts.prune.parse_pruned reads it)."""
    return all_of(
        cmd("echo", PRUNE_MARKER),
        any_of(
            Raw(f"{{ {all_of(*parts).render()}; }} 2>&1"),
            Raw(f'echo "{PRUNE_FAILED}$?"'),
        ),
    )

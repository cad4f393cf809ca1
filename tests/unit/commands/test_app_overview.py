"""Exact renders of what `app images`, `details` and `audit` read on each host."""

from dockyard.commands import app, overview
from dockyard.engine import DOCKER, PODMAN


def test_the_apps_images() -> None:
    assert app.images(DOCKER, "demo").render() == (
        "docker images --filter label=service=demo --format '{{.Repository}}:{{.Tag}} {{.Size}}'"
    )


def test_every_container_with_its_labels_and_slot_then_the_live_slots() -> None:
    """A container removed between ps and inspect (Docker: `Error: No such object: X`, Podman:
    `Error: inspecting object: no such object: "X"`) is left out; another error fails."""
    assert overview.containers_and_live_slots(PODMAN).render() == (
        'ids=$(podman ps --all --quiet) && { [ -z "$ids" ] || { if ! err=$({ podman inspect '
        "--format "
        "'{{.Name}}\t{{.Config.Image}}\t{{.State.Status}}\t{{.State.ExitCode}}\t"
        "{{if .State.Health}}{{.State.Health.Status}}{{end}}\t"
        '{{index .Config.Labels "service"}}\t{{index .Config.Labels "role"}}\t'
        '{{index .Config.Labels "destination"}}\t'
        '{{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}\t'
        "{{range .Aliases}}{{.}} {{end}}{{else}}\t{{end}}' $ids 1>&3; } 2>&1); then "
        "if printf '%s\\n' \"$err\" | grep -qiv 'no such object'; then "
        'printf \'%s\\n\' "$err" >&2; false; fi; fi; } 3>&1; } && printf "\\0" && '
        '( cd "$HOME/.dockyard/proxy/live" 2>/dev/null && '
        'for f in *.b; do [ ! -e "$f" ] || echo "${f%.b}"; done; true )'
    )


def test_the_tail_of_the_audit_log() -> None:
    assert app.audit_tail(app.audit_log("demo", "staging")).render() == (
        'tail -n 50 "$HOME/.dockyard/demo-staging-audit.log"'
    )
    assert app.audit_tail(app.audit_log("demo", None), 5).render() == (
        'tail -n 5 "$HOME/.dockyard/demo-audit.log"'
    )

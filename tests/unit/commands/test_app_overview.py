"""Exact renders of what `app images`, `details` and `audit` read on each host."""

from dockyard.commands import app
from dockyard.engine import DOCKER, PODMAN


def test_the_apps_images() -> None:
    assert app.images(DOCKER, "demo").render() == (
        "docker images --filter label=service=demo --format '{{.Repository}}:{{.Tag}} {{.Size}}'"
    )


def test_the_apps_containers_with_image_and_status() -> None:
    assert app.service_containers(PODMAN, "demo").render() == (
        "podman ps --all --filter label=service=demo --format '{{.Names}} {{.Image}} {{.Status}}'"
    )


def test_the_tail_of_the_audit_log() -> None:
    assert app.audit_tail(app.audit_log("demo", "staging")).render() == (
        'tail -n 50 "$HOME/.dockyard/demo-staging-audit.log"'
    )
    assert app.audit_tail(app.audit_log("demo", None), 5).render() == (
        'tail -n 5 "$HOME/.dockyard/demo-audit.log"'
    )

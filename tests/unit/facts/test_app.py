"""Parsers of the app's container listings and audit log, from Docker's and Podman's outputs."""

from dockyard.facts.app import (
    ContainerInfo,
    ContainerState,
    parse_booted_versions,
    parse_containers,
    parse_state,
    previous_version,
    version_of,
)


def test_parsers() -> None:
    out = "demo-web-v1\texited\t2026-11-21\ndemo-web-v2\trunning\t2026-11-22\n\n"
    assert parse_containers(out) == [
        ContainerInfo("demo-web-v2", "running", "2026-11-22"),
        ContainerInfo("demo-web-v1", "exited", "2026-11-21"),
    ]
    podman = (
        "demo-web-v1\tUp 21 seconds ago\t2026-11-22 16:44:00.224670239 +0000 UTC\n"
        "demo-web-v2\tExited (0) 1 second ago\t2026-11-22 16:44:03.172936743 +0000 UTC\n"
        "demo-web-v3\tCreated\t2026-11-22 16:44:06.168139506 +0000 UTC\n"
    )
    assert [(c.name, c.state) for c in parse_containers(podman)] == [
        ("demo-web-v3", "created"),
        ("demo-web-v2", "exited"),
        ("demo-web-v1", "running"),
    ]
    assert parse_state("running\thealthy\t172.18.0.3\n") == ContainerState(
        "running", "healthy", "172.18.0.3"
    )
    assert parse_state("exited\t\t\n") == ContainerState("exited", "", "")
    assert version_of("demo-web-v2", "demo-web-") == "v2"
    assert version_of("demo-web-v2_replaced_0a1b", "demo-web-") is None
    assert version_of("other-web-v2", "demo-web-") is None


def test_previous_version_skips_current_and_never_served() -> None:
    log = (
        "[t1] [me] Booted app version v1\n[t2] [me] Booted app version v2\n"
        "[t3] [me] [web] Pruned containers\n[t4] [me] Booted app version v1\n"
    )
    booted = parse_booted_versions(log)
    assert booted == ["v1", "v2", "v1"]
    assert previous_version(booted, "v1", {"v1", "v2", "bad3"}) == "v2"
    assert previous_version(booted, "v2", {"v2", "bad3"}) is None
    assert previous_version([], None, set()) is None

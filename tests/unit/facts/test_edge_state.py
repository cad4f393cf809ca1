"""The edge's state as its one-trip read prints it."""

from __future__ import annotations

from dockyard.facts.edge import EdgeState, parse_edge_state


def test_a_running_edge_with_its_config() -> None:
    assert parse_edge_state('/home/deploy\0{"apps": {}}\n\0true\n') == EdgeState(
        "/home/deploy", '{"apps": {}}\n', True
    )


def test_an_edge_never_booted() -> None:
    assert parse_edge_state("/home/deploy\0\0missing\n") == EdgeState("/home/deploy", "", False)
    assert parse_edge_state("/root\0{}\n\0false\n").running is False

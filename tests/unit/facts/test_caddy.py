"""Parsing Caddy's admin API answers."""

from dockyard.facts.caddy import parse_in_flight


def test_parse_in_flight() -> None:
    body = b'[{"address":"a:80","num_requests":2,"fails":0},{"address":"b:80","num_requests":0}]'
    assert parse_in_flight(body) == {"a:80": 2, "b:80": 0}
    assert parse_in_flight(b"null") == {}
    assert parse_in_flight(b"") == {}

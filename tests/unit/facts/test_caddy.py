"""Parsing Caddy's admin API answers."""

from dockyard.facts.caddy import UpstreamLoad, parse_upstreams


def test_parse_upstreams() -> None:
    body = b'[{"address":"a:80","num_requests":2,"fails":0},{"address":"b:80","num_requests":0}]'
    assert parse_upstreams(body) == {"a:80": UpstreamLoad(2, 0), "b:80": UpstreamLoad(0, 0)}
    assert parse_upstreams(b"null") == {}
    assert parse_upstreams(b"") == {}


def test_a_request_between_two_attempts_keeps_its_upstream_busy() -> None:
    retrying = parse_upstreams(b'[{"address":"a:80","num_requests":0,"fails":1}]')["a:80"]
    assert retrying.busy
    assert not UpstreamLoad(0, 0).busy and UpstreamLoad(1, 0).busy

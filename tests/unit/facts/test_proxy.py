"""Parsing the proxy's state, as proxy.read_state prints it (NUL-separated), and its route files
alone, as proxy.read_routes prints them."""

from dockyard.facts.proxy import parse_routes
from dockyard.facts.proxy import parse_state as parse_proxy_state


def test_parse_proxy_state() -> None:
    empty = parse_proxy_state("/root\0\0missing\n\0\0")
    assert (empty.home, empty.config, empty.running, empty.routes) == ("/root", "", False, [])
    assert empty.live_slot("w") == "a"
    legacy = '{"name": "w", "upstreams": ["abc:80"]}'  # written before slots: no port
    route = '{"name": "x", "port": 3000}'
    state = parse_proxy_state(f"/home/d\0{{}}\n\0true\n\0x\n\0{route}\0{legacy}\0")
    assert (state.config, state.running, [r.name for r in state.routes]) == (
        "{}\n",
        True,
        ["w", "x"],
    )
    assert (state.live_slot("x"), state.live_slot("w")) == ("b", "a")
    assert state.routes[0].upstreams == ("abc:80",)
    assert state.routes[1].slot_upstream("b") == "x--b:3000"


def test_parse_routes_reads_the_route_files_alone() -> None:
    assert parse_routes("") == []  # no routes directory: the proxy was never set up
    routes = parse_routes('{"name": "y", "port": 80}\0{"name": "x", "hosts": ["a.test"]}\0')
    assert [(r.name, r.hosts) for r in routes] == [("x", ("a.test",)), ("y", ())]

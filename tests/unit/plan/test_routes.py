"""Routes are owned: what a route claims, the collisions on a proxy, the refusal's one line and
what taking over leaves to the other route."""

from __future__ import annotations

import pytest

from dockyard.commands.caddy_config import AppRoute
from dockyard.errors import RouteTakenError
from dockyard.plan.routes import Handover, check, claims, collisions, left_after

BLOG = AppRoute("blog-web", app="blog", hosts=("blog.example.com", "www.example.com"))
SHOP = AppRoute("shop-web", app="shop", hosts=("WWW.example.com.",))
API = AppRoute("api-web", app="api", hosts=("www.example.com",), path_prefixes=("/api/",))
CATCH_ALL = AppRoute("demo-web", app="demo")
OLD = AppRoute("legacy-web", hosts=("www.example.com",))  # a route file that names no app


def test_a_route_claims_its_hosts_times_its_prefixes() -> None:
    assert claims(SHOP) == {("www.example.com", "/")}
    assert claims(API) == {("www.example.com", "/api")}
    assert claims(CATCH_ALL) == {("", "/")}
    two = AppRoute("x", hosts=("a", "b"), path_prefixes=("/p", "/q"))
    assert claims(two) == {("a", "/p"), ("a", "/q"), ("b", "/p"), ("b", "/q")}


def test_collisions_are_shared_claims_with_routes_of_other_names() -> None:
    served = [BLOG, API, CATCH_ALL, AppRoute("shop-web", app="shop", hosts=("www.example.com",))]
    found = collisions("10.0.0.1", [SHOP], served)
    assert [(c.theirs.name, c.shared) for c in found] == [
        ("blog-web", {("www.example.com", "/")})
    ]  # not api-web (another prefix), demo-web (no host), nor shop-web itself (redeployed)
    assert collisions("h", [AppRoute("other-web")], served)[0].theirs is CATCH_ALL
    assert collisions("h", [AppRoute("x", hosts=("www.example.com",), path_prefixes=("/api",))],
                      served)[0].theirs is API  # fmt: skip


def test_the_refusal_is_one_line_naming_hosts_claim_app_route_and_flag() -> None:
    with pytest.raises(RouteTakenError) as caught:
        check({"10.0.0.1": [SHOP], "10.0.0.2": [SHOP]}, {"10.0.0.1": [BLOG], "10.0.0.2": [BLOG]},
              take_over=False)  # fmt: skip
    assert str(caught.value) == (
        "10.0.0.1, 10.0.0.2: www.example.com is served by the app blog (route blog-web); "
        "shop-web would take it over: choose another proxy host or path prefix, or run again "
        "with --take-over-routes to take it over on purpose"
    )
    with pytest.raises(RouteTakenError, match=r"^h: every host is served by route legacy-web;"):
        check({"h": [AppRoute("new-web")]}, {"h": [AppRoute("legacy-web")]}, take_over=False)
    assert "www.example.com is served by route legacy-web;" in str(
        check_error({"h": [SHOP]}, {"h": [OLD]})
    )


def check_error(ours: dict[str, list[AppRoute]], served: dict[str, list[AppRoute]]) -> Exception:
    with pytest.raises(RouteTakenError) as caught:
        check(ours, served, take_over=False)
    return caught.value


def test_without_collisions_or_with_take_over_nothing_is_refused() -> None:
    assert check({"h": [SHOP]}, {"h": [API, CATCH_ALL]}, take_over=False) == {}
    taken = check({"h": [SHOP], "g": [SHOP]}, {"h": [BLOG]}, take_over=True)
    assert list(taken) == ["h"] and taken["h"][0].theirs is BLOG


def test_taking_over_leaves_the_other_route_what_it_did_not_share() -> None:
    assert left_after(BLOG, claims(SHOP)) == AppRoute(
        "blog-web", app="blog", hosts=("blog.example.com",)
    )
    assert left_after(OLD, claims(SHOP)) is None
    prefixed = AppRoute("p", path_prefixes=("/a", "/b/"))
    assert left_after(prefixed, frozenset({("", "/b")})) == AppRoute("p", path_prefixes=("/a",))
    assert left_after(CATCH_ALL, frozenset({("", "/")})) is None


def test_a_handover_changes_the_other_route_in_the_trip_that_switches_ours() -> None:
    web = AppRoute("shop-web", app="shop", hosts=("www.example.com",))
    admin = AppRoute("shop-admin", app="shop", hosts=("blog.example.com",))
    handover = Handover(check({"h": [web, admin]}, {"h": [BLOG]}, take_over=True)["h"])
    assert handover.steps("shop-other") == []
    left = left_after(BLOG, claims(web))
    assert left is not None
    assert [step.render() for step in handover.steps("shop-web")] == [
        "printf %s '" + left.to_json() + "' | (umask 077 && cat > "
        '"$HOME/.dockyard/proxy/routes/blog-web.json.tmp") && mv -f '
        '"$HOME/.dockyard/proxy/routes/blog-web.json.tmp" '
        '"$HOME/.dockyard/proxy/routes/blog-web.json"'
    ]
    # the second switch takes the rest: what both took is gone, so is the route
    assert [step.render() for step in handover.steps("shop-admin")] == [
        'rm -f "$HOME/.dockyard/proxy/routes/blog-web.json"'
    ]

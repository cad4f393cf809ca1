"""Exact renders of the proxy container's commands."""

from dockyard.commands import proxy
from dockyard.commands.base import cmd
from dockyard.commands.caddy_config import AppRoute
from dockyard.engine import DOCKER, PODMAN


def test_proxy_container() -> None:
    p = proxy.ProxyContainer(image="registry.lab:5000/caddy:2.11")
    assert proxy.start_or_run(DOCKER, p).render() == (
        "docker start dockyard-proxy || docker run --detach --restart unless-stopped"
        " --name dockyard-proxy --network kamal --publish 80:80 --publish 443:443"
        ' --publish 443:443/udp --volume "$HOME/.dockyard/proxy:/dockyard"'
        " --volume dockyard-proxy-data:/data --env XDG_DATA_HOME=/data"
        " --env XDG_CONFIG_HOME=/data/config --log-opt max-size=10m --label dockyard=proxy"
        " --dns-option timeout:1 --entrypoint caddy registry.lab:5000/caddy:2.11"
        " run --config /dockyard/caddy.json"
    )


def test_read_state_writes_first_then_reads_in_one_command() -> None:
    assert proxy.read_state(PODMAN, ".dockyard/proxy/caddy.json").render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p "$HOME/.dockyard/proxy/routes" '
        '"$HOME/.dockyard/proxy/live" && '
        '(umask 077 && cat > "$HOME/.dockyard/proxy/caddy.json.tmp") && '
        'mv -f "$HOME/.dockyard/proxy/caddy.json.tmp" "$HOME/.dockyard/proxy/caddy.json" && '
        'printf "%s\\0" "$HOME" && { cat "$HOME/.dockyard/proxy/caddy.json" 2>/dev/null; '
        "printf \"\\0\"; } && { podman inspect --format '{{.State.Running}}' dockyard-proxy "
        '2>/dev/null || echo missing; printf "\\0"; } && '
        '{ ( cd "$HOME/.dockyard/proxy/live" && for f in *.b; do [ ! -e "$f" ] || '
        'echo "${f%.b}"; done ); printf "\\0"; } && find "$HOME/.dockyard/proxy/routes" '
        "-maxdepth 1 -name '*.json' -exec cat '{}' ';' -exec printf '\\0' ';'"
    )


def test_run_with_other_ports_network_options_and_log_size() -> None:
    p = proxy.ProxyContainer(
        image="caddy:2.11", publish=("8080:80",), options=("--memory", "128m"), log_max_size="5m",
        network="private",
    )  # fmt: skip
    assert proxy.run(PODMAN, p).render() == (
        "podman run --detach --restart unless-stopped --name dockyard-proxy --network private"
        ' --publish 8080:80 --volume "$HOME/.dockyard/proxy:/dockyard"'
        " --volume dockyard-proxy-data:/data --env XDG_DATA_HOME=/data"
        " --env XDG_CONFIG_HOME=/data/config --log-opt max-size=5m --label dockyard=proxy"
        " --dns-option timeout:1 --memory 128m --entrypoint caddy caddy:2.11"
        " run --config /dockyard/caddy.json"
    )


def test_start_or_run_on_podman() -> None:
    p = proxy.ProxyContainer(image="caddy:2.11", publish=())
    assert proxy.start_or_run(PODMAN, p).render() == (
        "podman start dockyard-proxy || podman run --detach --restart unless-stopped"
        ' --name dockyard-proxy --network kamal --volume "$HOME/.dockyard/proxy:/dockyard"'
        " --volume dockyard-proxy-data:/data --env XDG_DATA_HOME=/data"
        " --env XDG_CONFIG_HOME=/data/config --log-opt max-size=10m --label dockyard=proxy"
        " --dns-option timeout:1 --entrypoint caddy caddy:2.11 run --config /dockyard/caddy.json"
    )


def test_read_state_alone_writes_nothing() -> None:
    assert proxy.read_state(DOCKER).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p "$HOME/.dockyard/proxy/routes" '
        '"$HOME/.dockyard/proxy/live" && printf "%s\\0" "$HOME" && '
        '{ cat "$HOME/.dockyard/proxy/caddy.json" 2>/dev/null; printf "\\0"; } && '
        "{ docker inspect --format '{{.State.Running}}' dockyard-proxy 2>/dev/null || "
        'echo missing; printf "\\0"; } && '
        '{ ( cd "$HOME/.dockyard/proxy/live" && for f in *.b; do [ ! -e "$f" ] || '
        'echo "${f%.b}"; done ); printf "\\0"; } && find "$HOME/.dockyard/proxy/routes" '
        "-maxdepth 1 -name '*.json' -exec cat '{}' ';' -exec printf '\\0' ';'"
    )


def test_read_routes_creates_nothing_and_reads_nothing_before_the_proxy_is_set_up() -> None:
    assert proxy.read_routes().render() == (
        'test \'!\' -d "$HOME/.dockyard/proxy/routes" || find "$HOME/.dockyard/proxy/routes" '
        "-maxdepth 1 -name '*.json' -exec cat '{}' ';' -exec printf '\\0' ';'"
    )


def test_read_state_runs_the_commands_before_it_after_the_write() -> None:
    before = [cmd("rm", "-f", "a b")]
    route = proxy.route_file("shop-web")
    assert proxy.read_state(DOCKER, route, before).render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p "$HOME/.dockyard/proxy/routes" '
        '"$HOME/.dockyard/proxy/live" && '
        '(umask 077 && cat > "$HOME/.dockyard/proxy/routes/shop-web.json.tmp") && '
        'mv -f "$HOME/.dockyard/proxy/routes/shop-web.json.tmp" '
        '"$HOME/.dockyard/proxy/routes/shop-web.json" && '
        'rm -f \'a b\' && printf "%s\\0" "$HOME" && '
        '{ cat "$HOME/.dockyard/proxy/caddy.json" 2>/dev/null; printf "\\0"; } && '
        "{ docker inspect --format '{{.State.Running}}' dockyard-proxy 2>/dev/null || "
        'echo missing; printf "\\0"; } && '
        '{ ( cd "$HOME/.dockyard/proxy/live" && for f in *.b; do [ ! -e "$f" ] || '
        'echo "${f%.b}"; done ); printf "\\0"; } && find "$HOME/.dockyard/proxy/routes" '
        "-maxdepth 1 -name '*.json' -exec cat '{}' ';' -exec printf '\\0' ';'"
    )


def test_slot_b_serves_while_its_live_file_exists() -> None:
    assert proxy.set_live("shop-web", "b").render() == (
        'touch "$HOME/.dockyard/proxy/live/shop-web.b"'
    )
    assert proxy.set_live("shop-web", "a").render() == (
        'rm -f "$HOME/.dockyard/proxy/live/shop-web.b"'
    )


def test_another_route_is_written_from_its_text_or_removed_when_taken_over() -> None:
    route = AppRoute("blog-web", app="blog", hosts=("blog.example.com",), port=3000)
    assert proxy.write_route(route).render() == (
        "printf %s '{\n"
        '  "app": "blog",\n  "buffer_requests": true,\n  "buffer_responses": true,\n'
        '  "certificate": null,\n  "drain_timeout": 30,\n  "forward_headers": false,\n'
        '  "hosts": [\n    "blog.example.com"\n  ],\n  "log_requests": true,\n'
        '  "maintenance": null,\n  "max_request_body": 0,\n  "name": "blog-web",\n'
        '  "path_prefixes": [],\n  "port": 3000,\n  "response_timeout": 30,\n'
        '  "ssl": false,\n  "ssl_redirect": true,\n  "strip_path_prefix": true,\n'
        '  "upstreams": []\n}\n\' | (umask 077 && cat > '
        '"$HOME/.dockyard/proxy/routes/blog-web.json.tmp") && mv -f '
        '"$HOME/.dockyard/proxy/routes/blog-web.json.tmp" '
        '"$HOME/.dockyard/proxy/routes/blog-web.json"'
    )
    assert proxy.remove_route("blog-web").render() == (
        'rm -f "$HOME/.dockyard/proxy/routes/blog-web.json"'
    )


def test_forgotten_routes_leave_no_live_flag() -> None:
    assert proxy.forget_routes(["shop-web", "shop-db"]).render() == (
        'rm -f "$HOME/.dockyard/proxy/routes/shop-web.json"'
        ' "$HOME/.dockyard/proxy/live/shop-web.b"'
        ' "$HOME/.dockyard/proxy/routes/shop-db.json" "$HOME/.dockyard/proxy/live/shop-db.b"'
    )

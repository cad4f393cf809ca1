"""The load balancer edge's container and state, rendered exactly."""

from __future__ import annotations

from dockyard.commands import edge
from dockyard.commands.edge import EdgeContainer
from dockyard.engine import DOCKER, PODMAN


def test_the_edge_runs_the_proxy_image_on_its_own_ports_and_state() -> None:
    container = EdgeContainer("caddy:2.11", http_port=8080, https_port=8443)
    assert edge.run(DOCKER, container).render() == (
        "docker run --detach --restart unless-stopped --name dockyard-edge --network kamal "
        "--publish 8080:8080 --publish 8443:8443 "
        '--volume "$HOME/.dockyard/edge:/dockyard" '
        '--volume "$HOME/.dockyard/edge/hosts:/etc/hosts:ro" --volume dockyard-edge-data:/data '
        "--env XDG_DATA_HOME=/data --env XDG_CONFIG_HOME=/data/config --log-opt max-size=10m "
        "--label dockyard=edge --entrypoint caddy caddy:2.11 run --config /dockyard/caddy.json"
    )
    assert edge.start_or_run(PODMAN, EdgeContainer("caddy:2.11")).render() == (
        "podman start dockyard-edge || podman run --detach --restart unless-stopped "
        "--name dockyard-edge --network kamal --publish 80:80 --publish 443:443 "
        '--volume "$HOME/.dockyard/edge:/dockyard" '
        '--volume "$HOME/.dockyard/edge/hosts:/etc/hosts:ro" --volume dockyard-edge-data:/data '
        "--env XDG_DATA_HOME=/data --env XDG_CONFIG_HOME=/data/config --log-opt max-size=10m "
        "--label dockyard=edge --entrypoint caddy caddy:2.11 run --config /dockyard/caddy.json"
    )


def test_the_state_is_read_in_one_trip_and_created_only_when_written() -> None:
    assert edge.read_state(DOCKER).render() == (
        'printf "%s\\0" "$HOME" && { cat "$HOME/.dockyard/edge/caddy.json" 2>/dev/null; '
        'printf "\\0"; } && { docker inspect --format '
        "'{{.State.Running}} {{range .Mounts}}{{.Destination}} {{end}}' dockyard-edge "
        '2>/dev/null || echo missing; } && { printf "\\0"; cat "$HOME/.dockyard/edge/hosts" '
        "2>/dev/null || true; }"
    )
    assert edge.read_state(PODMAN, write=True).render() == (
        '(mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p "$HOME/.dockyard/edge" && '
        '(umask 077 && cat > "$HOME/.dockyard/edge/caddy.json.tmp") && '
        'mv -f "$HOME/.dockyard/edge/caddy.json.tmp" "$HOME/.dockyard/edge/caddy.json") && '
        'printf "%s\\0" "$HOME" && { cat "$HOME/.dockyard/edge/caddy.json" 2>/dev/null; '
        'printf "\\0"; } && { podman inspect --format '
        "'{{.State.Running}} {{range .Mounts}}{{.Destination}} {{end}}' dockyard-edge "
        '2>/dev/null || echo missing; } && { printf "\\0"; cat "$HOME/.dockyard/edge/hosts" '
        "2>/dev/null || true; }"
    )
    assert edge.write_config().render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p "$HOME/.dockyard/edge" && '
        '(umask 077 && cat > "$HOME/.dockyard/edge/caddy.json.tmp") && '
        'mv -f "$HOME/.dockyard/edge/caddy.json.tmp" "$HOME/.dockyard/edge/caddy.json"'
    )


def test_the_edge_container_is_listed_by_name() -> None:
    assert edge.listing(DOCKER).render() == (
        "docker ps --all --filter 'name=^dockyard-edge$' "
        "--format '{{.Names}} {{.Image}} {{.Status}}'"
    )
    assert edge.listing(PODMAN).render() == (
        "podman ps --all --filter 'name=^dockyard-edge$' "
        "--format '{{.Names}} {{.Image}} {{.Status}}'"
    )


def test_a_sites_certificate_is_written_beside_the_config_for_its_owner_only() -> None:
    assert edge.certificate_path("shop-web") == ".dockyard/edge/certs/shop-web.pem"
    assert edge.write_certificate("shop-web").render() == (
        'mkdir -p -m 0700 "$HOME/.dockyard" && mkdir -p -m 0700 "$HOME/.dockyard/edge/certs" && '
        '(umask 077 && cat > "$HOME/.dockyard/edge/certs/shop-web.pem.tmp") && '
        'mv -f "$HOME/.dockyard/edge/certs/shop-web.pem.tmp" '
        '"$HOME/.dockyard/edge/certs/shop-web.pem"'
    )


def test_removing_an_edge_takes_its_container_state_and_data() -> None:
    assert edge.remove_container(PODMAN).render() == "podman rm --force dockyard-edge"
    assert edge.remove(DOCKER).render() == (
        "docker rm --force dockyard-edge && "
        '( cd "$HOME/.dockyard/edge" 2> /dev/null && { command -v crontab > /dev/null 2>&1 && '
        "crontab -l > crontab.old 2> /dev/null && grep -q -F '# dockyard-edge-mover' crontab.old "
        "&& grep -v -F '# dockyard-edge-mover' crontab.old | crontab -; rm -f crontab.old; }; "
        "true ) && { docker volume rm dockyard-edge-data >/dev/null 2>&1 || true; } && "
        'rm -rf "$HOME/.dockyard/edge"'
    )


def test_acme_certificates_are_read_and_written_through_the_engine_as_a_base64_tar() -> None:
    assert edge.read_certificates(DOCKER).render() == (
        "{ docker cp dockyard-edge:/dockyard/acme/certificates - 2>/dev/null | base64 -w0; }"
    )
    assert edge.write_certificates(PODMAN).render() == (
        'mkdir -p "$HOME/.dockyard/edge/acme" && '
        "base64 -d | podman cp - dockyard-edge:/dockyard/acme/"
    )
    assert edge.recent_errors(DOCKER).render() == (
        '{ docker logs --tail 500 dockyard-edge 2>&1 | grep \'"level":"error"\' '
        "| tail -n 5 || true; }"
    )

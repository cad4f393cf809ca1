"""Exact renders of the app's container commands."""

from dockyard.commands import app
from dockyard.commands.app import AppContainer
from dockyard.engine import DOCKER, PODMAN
from dockyard.redaction import Secret


def container() -> AppContainer:
    return AppContainer(
        name="demo-web-v2",
        image="registry.lab:5000/demo:v2",
        hostname="s1-1a2b3c",
        labels={"service": "demo", "role": "web"},
        env={"KAMAL_VERSION": "v2", "GREETING": "hi there"},
        env_file=".dockyard/apps/demo/env/roles/web.env",
        volumes=["/data:/data"],
        options=["--memory", "64m"],
        log_options=["--log-opt", "max-size=10m"],
        command=["bin/server", "--port", "80"],
    )


def test_run_app_container() -> None:
    assert app.run(DOCKER, container()).render() == (
        "docker run --detach --restart unless-stopped --name demo-web-v2 --network kamal"
        " --hostname s1-1a2b3c --env KAMAL_VERSION=v2 --env 'GREETING=hi there'"
        ' --env-file "$HOME/.dockyard/apps/demo/env/roles/web.env"'
        " --log-opt max-size=10m --volume /data:/data --label service=demo --label role=web"
        " --memory 64m registry.lab:5000/demo:v2 bin/server --port 80"
    )


def test_podman_uses_the_same_flags() -> None:
    assert app.run(PODMAN, container()).argv[:2] == ("podman", "run")


def test_listing_inspect_stop_logs() -> None:
    filters = app.label_filters("demo", "web", "staging")
    assert app.list_containers(DOCKER, filters).render() == (
        "docker ps --all --filter label=service=demo --filter label=role=web"
        " --filter label=destination=staging"
        " --format '{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.ID}}'"
    )
    assert app.inspect_state(DOCKER, "demo-web-v2").render() == (
        "docker inspect --format '{{.State.Status}}\t{{if .State.Health}}{{.State.Health.Status}}"
        '{{end}}\t{{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}{{end}}\''
        " demo-web-v2"
    )
    assert app.stop(DOCKER, "a", "b", timeout=5).render() == "docker stop -t 5 a b"
    assert app.stop(DOCKER, "a").render() == "docker stop a"
    assert app.logs(DOCKER, "a", lines=30).render() == "docker logs --tail 30 a"
    assert app.ensure_network(DOCKER).render() == (
        "docker network inspect kamal >/dev/null 2>&1 || docker network create kamal"
    )
    assert app.pin_bridge_address().render() == (
        "dev=$(podman network inspect kamal --format '{{.NetworkInterface}}') && "
        '{ [ ! -e "/sys/class/net/$dev" ] || '
        '[ "$(cat "/sys/class/net/$dev/addr_assign_type")" = 3 ] || '
        'ip link set dev "$dev" address "$(cat "/sys/class/net/$dev/address")"; }'
    )


def test_stop_for_good_removes_a_container_whose_restarts_outlive_its_stop() -> None:
    assert app.stop_for_good(PODMAN, "demo-web-v2").render() == (
        "podman stop -t 1 demo-web-v2 >/dev/null && "
        "before=$(podman inspect --format '{{.RestartCount}} {{.State.Status}}' demo-web-v2) && "
        "sleep 1 && "
        "after=$(podman inspect --format '{{.RestartCount}} {{.State.Status}}' demo-web-v2) && "
        'if [ "$before" = "$after" ] && [ "${after#* }" = exited ]; then echo stopped; '
        "else podman rm --force demo-web-v2 >/dev/null && echo removed; fi"
    )


def test_audit() -> None:
    assert app.audit(".dockyard/demo-audit.log", "[t] booted 'v2'").render() == (
        "mkdir -p \"$HOME/.dockyard\" && echo '[t] booted '\"'\"'v2'\"'\"''"
        ' >> "$HOME/.dockyard/demo-audit.log"'
    )


def test_inspect_aliases_names_the_network_in_its_template() -> None:
    assert app.inspect_aliases(PODMAN, "02a37f8583cb", "demo-web-v1").argv[-3:] == (
        '{{with index .NetworkSettings.Networks "kamal"}}{{range .Aliases}}{{.}} {{end}}{{end}}',
        "02a37f8583cb",
        "demo-web-v1",
    )


def test_secrets_in_env_never_reach_the_command_line_rendering() -> None:
    c = AppContainer(name="n", image="i", hostname="h", labels={}, env={"K": Secret("s3cret")})
    assert "s3cret" not in app.run(DOCKER, c).render(redact=True)


def test_a_boot_lists_sets_aside_and_runs_in_one_trip() -> None:
    web = app.AppContainer(name="demo-web-v2", image="r/demo:v2", hostname="h", labels={},
                           env_file=".dockyard/apps/demo/env/roles/web.env")  # fmt: skip
    text = app.list_then_run(DOCKER, web, app.label_filters("demo", "web"), ".dockyard/e", "x_r")
    rendered = text.render()
    listing = app.list_containers(DOCKER, app.label_filters("demo", "web")).render()
    assert rendered.startswith(f'mkdir -p "$HOME/.dockyard/e" && {listing} && echo ')
    assert (
        "{ ! docker container inspect demo-web-v2 >/dev/null 2>&1 || "
        "docker rename demo-web-v2 x_r; }" in rendered
    )
    state = app.inspect_state(DOCKER, "demo-web-v2").render()
    network = app.ensure_network(DOCKER).render()  # a fresh server gets the app's network
    assert rendered.endswith(f"({network}) && {app.run(DOCKER, web).render()} && {state}")
    assert rendered.index(app.RUN_MARKER) < rendered.index("rename") < rendered.index("umask 077")
    assert "network disconnect" not in rendered  # no slot: not served by the proxy


def test_a_boot_into_a_proxy_slot_takes_the_alias_from_any_leftover_first() -> None:
    web = app.AppContainer(name="demo-web-v2", image="r/demo:v2", hostname="h", labels={},
                           network_alias="demo-web--b")  # fmt: skip
    filters = app.label_filters("demo", "web")
    rendered = app.list_then_run(DOCKER, web, filters, ".dockyard/e", "x_r").render()
    release = app.release_alias(DOCKER, filters, "demo-web--b").render()
    network = app.ensure_network(DOCKER).render()
    assert f"{release} && ({network}) && docker run --detach" in rendered
    assert "--network kamal --network-alias demo-web--b --hostname h" in rendered
    assert release == (
        "for id in $(docker ps --quiet --filter label=service=demo --filter label=role=web); do "
        'case " $(docker inspect --format \'{{with index .NetworkSettings.Networks "kamal"}}'
        '{{range .Aliases}}{{.}} {{end}}{{end}}\' "$id") " in *" demo-web--b "*) '
        'docker network disconnect kamal "$id" >/dev/null;; esac; done'
    )


def test_a_kept_container_starts_again_in_the_free_slot() -> None:
    assert app.start_in_slot(PODMAN, "abc123", "demo-web--a").render() == (
        "(podman network disconnect kamal abc123 2>/dev/null || true) && "
        "podman network connect --alias demo-web--a kamal abc123 && podman start abc123"
    )


def test_a_network_name_is_quoted_where_the_commands_are_shell_text() -> None:
    # an accessory's `network:` is free text from the config
    assert app.ensure_network(DOCKER, "my net;$(x)").render() == (
        "docker network inspect 'my net;$(x)' >/dev/null 2>&1 || "
        "docker network create 'my net;$(x)'"
    )
    assert app.start_in_slot(PODMAN, "it's", "shop-web--a", "my net;$(x)").render() == (
        "(podman network disconnect 'my net;$(x)' 'it'\"'\"'s' 2>/dev/null || true) && "
        "podman network connect --alias shop-web--a 'my net;$(x)' 'it'\"'\"'s' && "
        "podman start 'it'\"'\"'s'"
    )
    filters = app.label_filters("shop", "web")
    assert app.release_alias(DOCKER, filters, "shop-web--b", "my net;$(x)").render() == (
        "for id in $(docker ps --quiet --filter label=service=shop --filter label=role=web); do "
        'case " $(docker inspect --format \'{{with index .NetworkSettings.Networks "my net;$(x)"}}'
        '{{range .Aliases}}{{.}} {{end}}{{end}}\' "$id") " in *" shop-web--b "*) '
        "docker network disconnect 'my net;$(x)' \"$id\" >/dev/null;; esac; done"
    )


def test_run_podman_in_a_proxy_slot_with_a_secret_in_its_env() -> None:
    c = AppContainer(
        name="demo-web-v2", image="r/demo:v2", hostname="h", labels={"service": "demo"},
        env={"TOKEN": Secret("s3 cr'et$(x)")}, restart="always", network="private",
        network_alias="demo-web--b",
    )  # fmt: skip
    assert app.run(PODMAN, c).render() == (
        "podman run --detach --restart always --name demo-web-v2 --network private"
        " --network-alias demo-web--b --hostname h --env 'TOKEN=s3 cr'\"'\"'et$(x)'"
        " --label service=demo r/demo:v2"
    )
    assert app.run(PODMAN, c).render(redact=True) == (
        "podman run --detach --restart always --name demo-web-v2 --network private"
        " --network-alias demo-web--b --hostname h --env [REDACTED] --label service=demo r/demo:v2"
    )


def test_inspect_state_on_another_network() -> None:
    assert app.inspect_state(PODMAN, "demo-web-v2", "private").render() == (
        "podman inspect --format '{{.State.Status}}\t{{if .State.Health}}{{.State.Health.Status}}"
        '{{end}}\t{{with index .NetworkSettings.Networks "private"}}{{.IPAddress}}{{end}}\''
        " demo-web-v2"
    )


def test_inspect_aliases_of_several_containers() -> None:
    assert app.inspect_aliases(DOCKER, "02a37f8583cb", "demo-web-v1").render() == (
        "docker inspect --type container --format"
        ' \'{{with index .NetworkSettings.Networks "kamal"}}'
        "{{range .Aliases}}{{.}} {{end}}{{end}}' 02a37f8583cb demo-web-v1"
    )


def test_single_container_commands() -> None:
    assert app.rename(DOCKER, "demo-web-v2", "demo-web-v2_replaced_1a2b").render() == (
        "docker rename demo-web-v2 demo-web-v2_replaced_1a2b"
    )
    assert app.start(PODMAN, "demo-web-v2").render() == "podman start demo-web-v2"
    assert app.remove(DOCKER, "demo-web-v2").render() == "docker rm --force demo-web-v2"
    assert app.stop(PODMAN, "demo-web-v2", timeout=0).render() == "podman stop -t 0 demo-web-v2"


def test_logs_since_without_a_line_limit() -> None:
    assert app.logs(PODMAN, "demo-web-v2", lines=None, since="10m").render() == (
        "podman logs --since 10m demo-web-v2"
    )
    assert app.logs(DOCKER, "demo-web-v2").render() == "docker logs --tail 100 demo-web-v2"


def test_podman_runs_a_health_check_when_asked() -> None:
    assert app.run_health_check(PODMAN, "demo-web-v2").render() == (
        "podman healthcheck run demo-web-v2"
    )


def test_image_commands() -> None:
    assert app.tag(DOCKER, "r/demo:v2", "r/demo:latest").render() == (
        "docker tag r/demo:v2 r/demo:latest"
    )
    assert app.pull(PODMAN, "r/demo:v2").render() == "podman pull --quiet r/demo:v2"
    assert app.image_service_label(DOCKER, "r/demo:v2").render() == (
        "docker image inspect --format 'service={{index .Config.Labels \"service\"}}' r/demo:v2"
    )


def test_ensure_network_on_podman() -> None:
    assert app.ensure_network(PODMAN).render() == (
        "podman network inspect kamal >/dev/null 2>&1 || podman network create kamal"
    )


def test_make_dirs_under_the_home() -> None:
    assert app.make_dirs(".dockyard/a", ".kamal/apps/demo/env/roles").render() == (
        'mkdir -p "$HOME/.dockyard/a" "$HOME/.kamal/apps/demo/env/roles"'
    )


def test_an_audit_line_is_one_argument_whatever_it_holds() -> None:
    assert app.audit(".dockyard/demo-staging-audit.log", "[t] [ann] $(x) `y`\nz").render() == (
        "mkdir -p \"$HOME/.dockyard\" && echo '[t] [ann] $(x) `y`\nz'"
        ' >> "$HOME/.dockyard/demo-staging-audit.log"'
    )


def test_a_boot_in_one_trip_exact() -> None:
    web = app.AppContainer(name="demo-web-v2", image="r/demo:v2", hostname="h", labels={},
                           env_file=".dockyard/apps/demo/env/roles/web.env")  # fmt: skip
    filters = app.label_filters("demo", "web")
    assert app.list_then_run(DOCKER, web, filters, ".dockyard/e", "x_r").render() == (
        'mkdir -p "$HOME/.dockyard/e" && docker ps --all --filter label=service=demo'
        " --filter label=role=web --format '{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.ID}}' && "
        "echo '--- dockyard: run ---' && "
        "{ ! docker container inspect demo-web-v2 >/dev/null 2>&1 || "
        "docker rename demo-web-v2 x_r; } && "
        '(umask 077 && cat > "$HOME/.dockyard/apps/demo/env/roles/web.env.tmp") && '
        'mv -f "$HOME/.dockyard/apps/demo/env/roles/web.env.tmp" '
        '"$HOME/.dockyard/apps/demo/env/roles/web.env" && '
        "(docker network inspect kamal >/dev/null 2>&1 || docker network create kamal) && "
        "docker run --detach --restart unless-stopped --name demo-web-v2 --network kamal"
        ' --hostname h --env-file "$HOME/.dockyard/apps/demo/env/roles/web.env" r/demo:v2 && '
        "docker inspect --format '{{.State.Status}}\t{{if .State.Health}}{{.State.Health.Status}}"
        '{{end}}\t{{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}{{end}}\''
        " demo-web-v2"
    )


def test_a_boot_into_a_slot_without_an_env_file_on_podman_exact() -> None:
    web = app.AppContainer(name="demo-web-v2", image="r/demo:v2", hostname="h", labels={},
                           network_alias="demo-web--b")  # fmt: skip
    filters = app.label_filters("demo", "web")
    assert app.list_then_run(PODMAN, web, filters, ".dockyard/e", "x_r").render() == (
        'mkdir -p "$HOME/.dockyard/e" && podman ps --all --filter label=service=demo'
        " --filter label=role=web --format '{{.Names}}\t{{.State}}\t{{.CreatedAt}}\t{{.ID}}' && "
        "echo '--- dockyard: run ---' && "
        "{ ! podman container inspect demo-web-v2 >/dev/null 2>&1 || "
        "podman rename demo-web-v2 x_r; } && "
        "for id in $(podman ps --quiet --filter label=service=demo --filter label=role=web); do "
        'case " $(podman inspect --format \'{{with index .NetworkSettings.Networks "kamal"}}'
        '{{range .Aliases}}{{.}} {{end}}{{end}}\' "$id") " in *" demo-web--b "*) '
        'podman network disconnect kamal "$id" >/dev/null;; esac; done && '
        "(podman network inspect kamal >/dev/null 2>&1 || podman network create kamal) && "
        "podman run --detach --restart unless-stopped --name demo-web-v2 --network kamal"
        " --network-alias demo-web--b --hostname h r/demo:v2 && "
        "podman inspect --format '{{.State.Status}}\t{{if .State.Health}}{{.State.Health.Status}}"
        '{{end}}\t{{with index .NetworkSettings.Networks "kamal"}}{{.IPAddress}}{{end}}\''
        " demo-web-v2"
    )


def test_a_container_name_with_a_quote_is_one_word_in_the_boot_trip() -> None:
    web = app.AppContainer(name="it's", image="i", hostname="h", labels={})
    assert app.list_then_run(DOCKER, web, [], ".e", "a b").render() == (
        'mkdir -p "$HOME/.e" && docker ps --all --format \'{{.Names}}\t{{.State}}\t'
        "{{.CreatedAt}}\t{{.ID}}' && echo '--- dockyard: run ---' && "
        "{ ! docker container inspect 'it'\"'\"'s' >/dev/null 2>&1 || "
        "docker rename 'it'\"'\"'s' 'a b'; } && "
        "(docker network inspect kamal >/dev/null 2>&1 || docker network create kamal) && "
        "docker run --detach --restart unless-stopped --name 'it'\"'\"'s' --network kamal"
        " --hostname h i && docker inspect --format '{{.State.Status}}\t{{if .State.Health}}"
        '{{.State.Health.Status}}{{end}}\t{{with index .NetworkSettings.Networks "kamal"}}'
        "{{.IPAddress}}{{end}}' 'it'\"'\"'s'"
    )

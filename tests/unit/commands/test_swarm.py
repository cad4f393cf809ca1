"""Exact renders of the Swarm builders (commands/swarm.py)."""

from __future__ import annotations

from dockyard.commands import swarm
from dockyard.redaction import Secret


def test_state_and_own_address() -> None:
    assert swarm.swarm_state().render() == "docker info --format '{{json .Swarm}}'"
    assert swarm.own_address().render() == 'set -- $SSH_CONNECTION && echo "$3"'
    assert swarm.ipvs_probe().render() == (
        "{ [ -e /proc/net/ip_vs ] || [ -d /sys/module/ip_vs ]; } && echo ipvs=yes || echo ipvs=no"
    )


def test_forming_and_joining() -> None:
    assert swarm.swarm_init("10.0.0.1").render() == "docker swarm init --advertise-addr 10.0.0.1"
    assert swarm.join_token("worker").render() == "docker swarm join-token --quiet worker"
    join = swarm.swarm_join("10.0.0.2", Secret("SWMTKN-1-x"), "10.0.0.1")
    assert join.render() == (
        "docker swarm join --advertise-addr 10.0.0.2 --token SWMTKN-1-x 10.0.0.1:2377"
    )
    assert join.render(redact=True) == (
        "docker swarm join --advertise-addr 10.0.0.2 --token [REDACTED] 10.0.0.1:2377"
    )


def test_the_overlay_network_and_the_nodes() -> None:
    assert swarm.network_state("shop-swarm").render() == (
        "docker network inspect --format '{{.Driver}} {{.Attachable}}' shop-swarm"
    )
    assert swarm.network_create("shop-swarm").render() == (
        "docker network create --driver overlay --attachable shop-swarm"
    )
    assert swarm.node_list().render() == "docker node ls --format '{{json .}}'"


def test_what_an_image_runs() -> None:
    assert swarm.image_pull("r.io/shop:v1").render() == "docker pull --quiet r.io/shop:v1"
    assert swarm.image_command("r.io/shop:v1").render() == (
        "docker image inspect --format "
        "'{{json .Config.Entrypoint}}{{println}}{{json .Config.Cmd}}' r.io/shop:v1"
    )


def test_applying_a_stack_and_reading_its_updates() -> None:
    assert swarm.make_stack_dir(".dockyard/swarm/shop").render() == (
        "mkdir -p -m 700 .dockyard/swarm/shop"
    )
    assert swarm.stack_deploy(".dockyard/swarm/shop", "shop").render() == (
        "cd .dockyard/swarm/shop && docker stack deploy --compose-file stack.yml "
        "--resolve-image never --prune shop"
    )
    assert swarm.update_status("shop_web").render() == (
        "docker service inspect --format '{{json .UpdateStatus}}' shop_web"
    )
    assert swarm.service_replicas("shop").render() == (
        "docker service ls --filter label=com.docker.stack.namespace=shop "
        "--format '{{.Name}} {{.Replicas}}'"
    )


def test_scaling_a_service() -> None:
    assert swarm.service_scale("shop_web", 6).render() == (
        "docker service scale --detach shop_web=6"
    )


def test_the_images_of_a_services_tasks() -> None:
    assert swarm.task_images("shop_web").render() == (
        "docker service ps --filter desired-state=running --format '{{.Image}}' shop_web"
    )


def test_an_image_kept_on_a_node_or_pulled_again() -> None:
    assert swarm.image_here("r.io/shop:v1", pull=False).render() == (
        "docker image inspect --format '{{.Id}}' r.io/shop:v1 >/dev/null"
    )
    assert swarm.image_here("r.io/shop:v1", pull=True).render() == (
        "docker image inspect --format '{{.Id}}' r.io/shop:v1 >/dev/null 2>&1 || "
        "docker pull --quiet r.io/shop:v1"
    )


def test_the_versions_deployed_to_the_swarm() -> None:
    assert swarm.deployed_versions(".dockyard/swarm/shop").render() == (
        "cat .dockyard/swarm/shop/versions 2>/dev/null || true"
    )


def test_the_secrets_of_a_stack_and_removing_them() -> None:
    assert swarm.stack_secrets("shop").render() == (
        "docker secret ls --filter label=com.docker.stack.namespace=shop --format '{{.Name}}'"
    )
    assert swarm.secret_remove(["shop_web_env_a", "shop_web_env_b"]).render() == (
        "docker secret rm shop_web_env_a shop_web_env_b"
    )


def test_the_tasks_of_a_stack() -> None:
    assert swarm.stack_tasks("shop").render() == (
        "docker stack ps --filter desired-state=running --no-trunc --format '{{json .}}' shop"
    )


def test_an_accessory_stack_removed_and_its_containers_on_a_node() -> None:
    assert swarm.own_home().render() == 'echo "$HOME"'
    assert swarm.stack_remove("shop-db").render() == "docker stack rm shop-db"
    assert swarm.stack_containers("shop-db").render() == (
        "docker ps --all --quiet --filter label=com.docker.stack.namespace=shop-db"
    )
    assert swarm.remove_stack_dir(".dockyard/swarm/shop-db").render() == (
        "rm -rf .dockyard/swarm/shop-db"
    )


def test_a_running_task_and_a_command_in_its_container() -> None:
    assert swarm.running_tasks("shop_web").render() == (
        "ids=$(docker service ps --quiet --filter desired-state=running shop_web) && "
        '{ [ -z "$ids" ] || docker inspect --format '
        "'{{.NodeID}} {{.Status.ContainerStatus.ContainerID}} {{.Status.State}}' $ids; }"
    )
    assert swarm.exec_in_task("c0ffee", "bin/rails runner 'puts 1'", {"A": "1 2"}).render() == (
        "docker exec c0ffee /bin/sh -c 'set -a; . /run/secrets/env; set +a; exec \"$@\"' sh "
        "env 'A=1 2' bin/rails runner 'puts 1'"
    )
    assert swarm.exec_in_task("c0ffee", "sh", {}, interactive=True).render() == (
        "docker exec --interactive --tty c0ffee "
        "/bin/sh -c 'set -a; . /run/secrets/env; set +a; exec \"$@\"' sh sh"
    )


def test_the_task_history_and_what_a_prune_removes_on_a_node() -> None:
    assert swarm.task_history_limit(5).render() == "docker swarm update --task-history-limit 5"
    assert swarm.ended_task_containers("shop").render() == (
        "for id in $(docker ps --all --quiet --filter label=com.docker.stack.namespace=shop "
        '--filter status=exited --filter status=dead); do docker rm "$id" >/dev/null && '
        'echo "removed container $id" || exit 1; done'
    )
    assert swarm.unused_versions("reg:5000/shop", ["v1", "v2"]).render() == (
        "used=$(docker ps --all --format '{{.Image}}') && for image in $(docker images "
        "--format '{{.Repository}}:{{.Tag}}' reg:5000/shop); do case \" reg:5000/shop:v1 "
        'reg:5000/shop:v2 " in *" $image "*) continue ;; esac; printf "%s\\n" "$used" | '
        'grep -qxF "$image" && continue; docker rmi "$image" >/dev/null && '
        'echo "removed $image" || exit 1; done'
    )
    assert swarm.network_remove("shop-swarm").render() == "docker network rm shop-swarm"


def test_an_accessory_service_restarted_its_image_and_its_containers_on_a_node() -> None:
    assert swarm.service_restart("shop-db_db").render() == (
        "docker service update --detach --force --replicas 1 shop-db_db"
    )
    assert swarm.service_image("shop_web").render() == (
        "docker service inspect --format '{{.Spec.TaskTemplate.ContainerSpec.Image}}' shop_web"
    )
    assert swarm.service_containers("shop-db_db").render() == (
        "docker ps --quiet --filter label=com.docker.swarm.service.name=shop-db_db"
    )

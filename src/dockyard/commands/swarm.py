"""Docker Swarm commands: the swarm's state, forming and joining it, its overlay network (pure).

Swarm ships inside Docker Engine (Podman has none: the config refuses that pair), so these run
`docker` whatever else the config says.

    swarm_state()                       # docker info: is this node in a swarm, and which
    swarm_init("10.0.0.1")              # the first manager
    join_token("manager")               # on a manager: the token a node joins with
    swarm_join("10.0.0.2", token, "10.0.0.1")
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from typing import Literal

from dockyard.commands.base import Cmd, Raw, cmd
from dockyard.redaction import Secret

# exports a task's env file (its Swarm secret, commands/swarm_stack.py), then runs "$@"
ENV_SHELL = ("/bin/sh", "-c", 'set -a; . /run/secrets/env; set +a; exec "$@"', "sh")

MANAGER_PORT = 2377  # Swarm's cluster management port
NodeRole = Literal["manager", "worker"]


def swarm_state() -> Cmd:
    """The node's swarm state as JSON (facts/swarm.py reads it)."""
    return cmd("docker", "info", "--format", "{{json .Swarm}}")


IPVS_MARK = "ipvs="


def ipvs_probe() -> Raw:
    """`ipvs=yes` where the kernel runs IPVS (its /proc entry in this network namespace, or the
    module loaded), which the routing mesh and service VIPs need; `ipvs=no` elsewhere."""
    return Raw(
        "{ [ -e /proc/net/ip_vs ] || [ -d /sys/module/ip_vs ]; } && echo ipvs=yes || echo ipvs=no"
    )


def own_address() -> Raw:
    """The server's own address on the route we reach it by (sshd's SSH_CONNECTION: client
    address, client port, server address, server port): what other nodes reach it at."""
    return Raw('set -- $SSH_CONNECTION && echo "$3"')


def swarm_init(address: str) -> Cmd:
    return cmd("docker", "swarm", "init", "--advertise-addr", address)


def join_token(role: NodeRole) -> Cmd:
    return cmd("docker", "swarm", "join-token", "--quiet", role)


def swarm_join(address: str, token: Secret, manager: str) -> Cmd:
    return cmd(
        "docker", "swarm", "join", "--advertise-addr", address, "--token", token,
        f"{manager}:{MANAGER_PORT}",
    )  # fmt: skip


def network_state(name: str) -> Cmd:
    """`<driver> <attachable>` of a network; exits non-zero when there is none."""
    return cmd("docker", "network", "inspect", "--format", "{{.Driver}} {{.Attachable}}", name)


def network_create(name: str) -> Cmd:
    """The app's overlay network: attachable, so the proxy's container joins it."""
    return cmd("docker", "network", "create", "--driver", "overlay", "--attachable", name)


def node_list() -> Cmd:
    """The swarm's nodes, one JSON object a line (on a manager)."""
    return cmd("docker", "node", "ls", "--format", "{{json .}}")


def image_pull(image: str) -> Cmd:
    return cmd("docker", "pull", "--quiet", image)


def image_command(image: str) -> Cmd:
    """An image's entrypoint and command, a JSON line each (`null` where the image sets none)."""
    template = "{{json .Config.Entrypoint}}{{println}}{{json .Config.Cmd}}"
    return cmd("docker", "image", "inspect", "--format", template, image)


def make_stack_dir(directory: str) -> Cmd:
    """Where the stack file and the env files go on the manager (mode 700: they hold secrets)."""
    return cmd("mkdir", "-p", "-m", "700", directory)


def stack_deploy(directory: str, stack: str) -> Raw:
    """Apply the stack file, relative to its directory (the env files are named beside it).
    Every node already has the image: `--resolve-image never` keeps Swarm from asking the
    registry again, so no node gets a task it cannot start."""
    return Raw(
        f"cd {shlex.quote(directory)} && docker stack deploy --compose-file stack.yml "
        f"--resolve-image never --prune {shlex.quote(stack)}"
    )


def update_status(service: str) -> Cmd:
    """A service's last update as JSON (`null` before its first); exits 1 when there is none."""
    return cmd("docker", "service", "inspect", "--format", "{{json .UpdateStatus}}", service)


def service_replicas(stack: str) -> Cmd:
    """`<service> <running>/<desired>` for each service of a stack."""
    return cmd(
        "docker", "service", "ls", "--filter", f"label=com.docker.stack.namespace={stack}",
        "--format", "{{.Name}} {{.Replicas}}",
    )  # fmt: skip


def service_scale(service: str, replicas: int) -> Cmd:
    """Set a service's replicas and return at once (the tasks are watched by `service ls`)."""
    return cmd("docker", "service", "scale", "--detach", f"{service}={replicas}")


def service_restart(service: str) -> Cmd:
    """A new task of a one-task service (an accessory's), started whether it ran or was scaled
    to 0, as `docker restart` starts a stopped container; returns at once (watched by
    `running_tasks`)."""
    return cmd("docker", "service", "update", "--detach", "--force", "--replicas", "1", service)


def service_image(service: str) -> Cmd:
    """The image a service's tasks run (its spec's: the tag as deployed)."""
    template = "{{.Spec.TaskTemplate.ContainerSpec.Image}}"
    return cmd("docker", "service", "inspect", "--format", template, service)


def service_containers(service: str) -> Cmd:
    """The running containers of a service's tasks on this node, one ID a line."""
    return cmd(
        "docker", "ps", "--quiet", "--filter", f"label=com.docker.swarm.service.name={service}"
    )


def task_images(service: str) -> Cmd:
    """The image of each task the service wants running, one a line."""
    return cmd(
        "docker", "service", "ps", "--filter", "desired-state=running", "--format", "{{.Image}}",
        service,
    )  # fmt: skip


def image_here(image: str, *, pull: bool) -> Raw:
    """The image on this node: kept from an earlier deploy, or (`pull`: a registry delivers)
    pulled again; exits non-zero when it is neither."""
    present = f"docker image inspect --format '{{{{.Id}}}}' {shlex.quote(image)} >/dev/null"
    if not pull:
        return Raw(present)
    return Raw(f"{present} 2>&1 || docker pull --quiet {shlex.quote(image)}")


def deployed_versions(directory: str) -> Raw:
    """The versions deployed to the swarm, oldest first, one a line (none before the first)."""
    return Raw(f"cat {shlex.quote(directory)}/versions 2>/dev/null || true")


def stack_secrets(stack: str) -> Cmd:
    """The names of the secrets `docker stack deploy` made for a stack, one a line."""
    return cmd(
        "docker", "secret", "ls", "--filter", f"label=com.docker.stack.namespace={stack}",
        "--format", "{{.Name}}",
    )  # fmt: skip


def secret_remove(names: Sequence[str]) -> Cmd:
    return cmd("docker", "secret", "rm", *names)


def stack_tasks(stack: str) -> Cmd:
    """The tasks of a stack that should run, one JSON object a line (on a manager)."""
    return cmd(
        "docker", "stack", "ps", "--filter", "desired-state=running", "--no-trunc",
        "--format", "{{json .}}", stack,
    )  # fmt: skip


def own_home() -> Raw:
    """The home of the SSH user here: where an accessory's files and directories are."""
    return Raw('echo "$HOME"')


def stack_remove(stack: str) -> Cmd:
    """The stack's services, its secrets and networks (its tasks stop a moment later)."""
    return cmd("docker", "stack", "rm", stack)


def stack_containers(stack: str) -> Cmd:
    """The containers of a stack's tasks on this node, running or not, one ID a line."""
    return cmd(
        "docker", "ps", "--all", "--quiet", "--filter",
        f"label=com.docker.stack.namespace={stack}",
    )  # fmt: skip


def remove_stack_dir(directory: str) -> Cmd:
    """The stack file and env files dockyard applied a stack from, on the manager."""
    return cmd("rm", "-rf", directory)


def running_tasks(service: str) -> Raw:
    """`<node ID> <container ID> <state>` of each task the service wants running (on a
    manager); nothing when it has none."""
    ids = f"$(docker service ps --quiet --filter desired-state=running {shlex.quote(service)})"
    template = "{{.NodeID}} {{.Status.ContainerStatus.ContainerID}} {{.Status.State}}"
    return Raw(f"ids={ids} && {{ [ -z \"$ids\" ] || docker inspect --format '{template}' $ids; }}")


def exec_in_task(
    container: str, command: str, env: Mapping[str, str], *, interactive: bool = False
) -> Raw:
    """The user's command (shell text, split by the remote shell as Kamal's) in a task's
    container, with the task's env exported from its secret first (a `docker exec` does not
    inherit it), then the -e pairs over it."""
    flags = ["--interactive", "--tty"] if interactive else []
    pairs = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []
    words = cmd("docker", "exec", *flags, container, *ENV_SHELL, *pairs).render()
    return Raw(f"{words} {command}")


def task_history_limit(tasks: int) -> Cmd:
    """How many ended tasks (and their containers) Swarm keeps per slot (on a manager)."""
    return cmd("docker", "swarm", "update", "--task-history-limit", str(tasks))


def ended_task_containers(stack: str) -> Raw:
    """Remove the stack's task containers that ended on this node (Swarm's history: no task
    runs in them again); each printed as `removed container <id>`."""
    listing = cmd(
        "docker", "ps", "--all", "--quiet", "--filter", f"label=com.docker.stack.namespace={stack}",
        "--filter", "status=exited", "--filter", "status=dead",
    ).render()  # fmt: skip
    return Raw(
        f'for id in $({listing}); do docker rm "$id" >/dev/null && '
        'echo "removed container $id" || exit 1; done'
    )


def unused_versions(repository: str, keep: Sequence[str]) -> Raw:
    """Remove the images of the app's repository that no container uses, but those of the
    versions `rollback` may go back to (`keep`); each printed as `removed <image>`."""
    kept = " ".join(shlex.quote(f"{repository}:{v}") for v in keep)
    tagged = cmd("docker", "images", "--format", "{{.Repository}}:{{.Tag}}", repository).render()
    return Raw(
        f"used=$(docker ps --all --format '{{{{.Image}}}}') && "
        f'for image in $({tagged}); do case " {kept} " in *" $image "*) continue ;; esac; '
        'printf "%s\\n" "$used" | grep -qxF "$image" && continue; '
        'docker rmi "$image" >/dev/null && echo "removed $image" || exit 1; done'
    )


def network_remove(name: str) -> Cmd:
    return cmd("docker", "network", "rm", name)

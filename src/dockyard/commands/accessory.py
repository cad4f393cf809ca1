"""Commands for accessories (pure), as Kamal runs them: one container named after the accessory's
service, its files and directories under `~/<service>/`, its secrets in a 0600 env file."""

from __future__ import annotations

import posixpath
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from dockyard.commands.base import Cmd, HomePath, Raw, Seq, all_of, any_of, cmd, repeat
from dockyard.commands.envfile import optionize
from dockyard.config.settings import Accessory, MountedPath
from dockyard.engine import Engine

DEFAULT_FILE_MODE = "755"  # Kamal's
# A file rendered from the accessory's secrets: only its owner reads it (the container reads it
# as root; a non-root reader needs `owner:`, or an explicit `mode:`).
SECRET_FILE_MODE = "600"
# ~/<service>: only its owner enters, so no other user of the server reaches the files and data
# under it. Containers are not concerned: a bind mount is resolved by the engine, not through
# this directory's permissions.
DATA_DIR_MODE = "700"


def env_file_path(app: str, name: str) -> str:
    """Kamal's place for an accessory's env file, relative to the home."""
    return f".kamal/apps/{app}/env/accessories/{name}.env"


def data_dir(accessory: Accessory) -> str:
    """`~/<service>`: the accessory's files and directories (relative to the home)."""
    return accessory.service_name


def host_path(accessory: Accessory, path: str) -> str | HomePath:
    """Where a file or directory lives on the host: absolute as given, else under ~/<service>/.
    Absolute paths are returned as plain text, others as a HomePath ("$HOME/...")."""
    if path.startswith("/"):
        return path
    return HomePath(f"{data_dir(accessory)}/{path}")


def file_host_path(accessory: Accessory, file: MountedPath) -> str:
    """A file is uploaded to ~/<service>/<remote path> (relative to the home), as in Kamal."""
    return f"{data_dir(accessory)}/{file.remote.lstrip('/')}"


def directory_host_path(accessory: Accessory, directory: MountedPath) -> str | HomePath:
    return host_path(accessory, directory.local)


def _mount(source: str | HomePath, target: str, options: str | None) -> str:
    suffix = f":{options}" if options else ""
    if isinstance(source, HomePath):
        return HomePath(f"{source}:{target}{suffix}")
    return f"{source}:{target}{suffix}"


def volume_args(accessory: Accessory) -> list[str]:
    files = [
        _mount(HomePath(file_host_path(accessory, f)), f.remote, f.options) for f in accessory.files
    ]
    directories = [
        _mount(directory_host_path(accessory, d), d.remote, d.options)
        for d in accessory.directories
    ]
    return repeat("--volume", [*files, *directories, *accessory.volumes])


@dataclass(frozen=True)
class AccessoryRun:
    accessory: Accessory
    env: Mapping[str, str]  # clear env (KAMAL_HOST included)
    env_file: str | None
    log_options: Sequence[str] = ()


def run(engine: Engine, spec: AccessoryRun) -> Cmd:
    a = spec.accessory
    options = dict(a.options)
    restart = str(options.pop("restart", "unless-stopped"))
    labels = {"service": a.service_name, **a.labels}
    return cmd(
        engine.name, "run", "--name", a.service_name, "--detach", "--restart", restart,
        "--network", a.network, *spec.log_options,
        *(["--publish", a.published_port] if a.published_port else []),
        *[x for k, v in spec.env.items() for x in ("--env", f"{k}={v}")],
        *(["--env-file", HomePath(spec.env_file)] if spec.env_file else []),
        *volume_args(a),
        *[x for k, v in labels.items() for x in ("--label", f"{k}={v}")],
        *optionize(options),
        a.image,
        *(shlex.split(a.cmd) if a.cmd else []),  # Kamal's cmd reaches a shell: quotes count
    )  # fmt: skip


def empty_env_file(path: str) -> Raw:
    """An empty 0600 env file (an accessory without secrets): nothing is read from stdin, which
    an empty input would leave open."""
    return Raw(f'(umask 077 && : > "$HOME/{HomePath(path)}")')


def make_directories(accessory: Accessory) -> Seq:
    """The accessory's directories and the parents of its files; ~/<service> is then closed to
    other users (DATA_DIR_MODE), unless it is itself mounted as one of the directories (the
    container then sees its mode)."""
    home = HomePath(data_dir(accessory))
    paths: list[str | HomePath] = [home]
    paths += [directory_host_path(accessory, d) for d in accessory.directories]
    paths += [HomePath(file_host_path(accessory, f).rsplit("/", 1)[0]) for f in accessory.files]
    steps = [cmd("mkdir", "-p", *dict.fromkeys(paths))]
    mounted = any(
        not d.local.startswith("/") and posixpath.normpath(d.local) == "."
        for d in accessory.directories
    )
    if not mounted:
        steps.append(cmd("chmod", DATA_DIR_MODE, home))
    return all_of(*steps)


def file_mode_owner(accessory: Accessory, file: MountedPath, *, from_secrets: bool = False) -> Seq:
    """chmod and, if given, chown of an uploaded file: its `mode`, else 600 for a file rendered
    from secrets, else 755 (Kamal's default)."""
    path = HomePath(file_host_path(accessory, file))
    mode = file.mode or (SECRET_FILE_MODE if from_secrets else DEFAULT_FILE_MODE)
    steps: list[Cmd] = [cmd("chmod", mode, path)]
    if file.owner:
        steps.append(cmd("chown", file.owner, path))
    return all_of(*steps)


def directory_mode_owner(accessory: Accessory, directory: MountedPath) -> Seq | None:
    path = directory_host_path(accessory, directory)
    steps: list[Cmd] = []
    if directory.mode:
        steps.append(cmd("chmod", directory.mode, path))
    if directory.owner:
        steps.append(cmd("chown", directory.owner, path))
    return all_of(*steps) if steps else None


def container_exists(engine: Engine, name: str) -> Cmd:
    """Prints the container's state when it exists (nothing otherwise)."""
    return cmd(
        engine.name,
        "ps",
        "--all",
        "--filter",
        f"name=^{name}$",
        "--format",
        "{{.Names}}\t{{.State}}",
    )


def details(engine: Engine, service: str) -> Cmd:
    return cmd(
        engine.name, "ps", "--all", "--filter", f"label=service={service}",
        "--format", "{{.Names}}\t{{.State}}\t{{.Status}}\t{{.Image}}\t{{.Ports}}",
    )  # fmt: skip


def exec_in_running(
    engine: Engine, name: str, command: Sequence[str], *, interactive: bool = False
) -> Cmd:
    """With interactive, a terminal (`-it`): for the system ssh's TTY."""
    return cmd(engine.name, "exec", *(["-it"] if interactive else []), name, *command)


def exec_in_new(
    engine: Engine, spec: AccessoryRun, command: Sequence[str], *, interactive: bool = False
) -> Cmd:
    """A one-off container of the accessory's image, with its env, network and mounts."""
    a = spec.accessory
    return cmd(
        engine.name, "run", *(["-it"] if interactive else []), "--rm", "--network", a.network,
        *[x for k, v in spec.env.items() for x in ("--env", f"{k}={v}")],
        *(["--env-file", HomePath(spec.env_file)] if spec.env_file else []),
        *volume_args(a), a.image, *command,
    )  # fmt: skip


def stop(engine: Engine, name: str) -> Seq:
    return any_of(cmd(engine.name, "stop", name), Raw("true"))


def remove_container(engine: Engine, name: str) -> Cmd:
    return cmd(engine.name, "rm", "--force", name)


def remove_image(engine: Engine, image: str) -> Seq:
    return any_of(cmd(engine.name, "image", "rm", "--force", image), Raw("true"))


def remove_data(accessory: Accessory, env_file: str) -> Cmd:
    """The accessory's ~/<service> directory (its data!) and its env file."""
    return cmd("rm", "-rf", HomePath(data_dir(accessory)), HomePath(env_file))


def pull(engine: Engine, image: str) -> Cmd:
    return cmd(engine.name, "pull", "--quiet", image)


def registry_login(engine: Engine, server: str, user: str, password: str) -> Cmd:
    return cmd(engine.name, "login", server, "--username", user, "--password", password)

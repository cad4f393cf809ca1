"""`accessory …` on servers: boot, reboot, start, stop, details, logs, exec, remove.

    boot_all(transport, config, secrets)      what `setup` calls: every accessory on its hosts

A proxied accessory (`proxy:`) is routed through dockyard's proxy once its container answers
its health check (boot, reboot, start, restart), and taken off before it stops (stop, remove):
see accessory_proxy.

Secrets are resolved by the caller (a name -> Secret map) and reach the server only through the
0600 env file, written from standard input in the same round trip as `mkdir`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dockyard.commands import accessory as commands
from dockyard.commands import app as app_commands
from dockyard.commands.base import all_of, cmd, write_stdin
from dockyard.commands.envfile import env_file
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.engine import Engine
from dockyard.errors import ConfigError, DockyardError
from dockyard.facts.accessory import details_line, parse_container_state
from dockyard.plan.accessory import AccessoryProxy, accessory_proxy, route_name
from dockyard.redaction import Secret
from dockyard.ssh.transport import UNBOUNDED, Transport
from dockyard.workflows.accessories import routing as proxying
from dockyard.workflows.accessories.files import rendered_files
from dockyard.workflows.fanout import on_servers
from dockyard.workflows.server import Server


@dataclass(frozen=True)
class AccessoryContext:
    """One accessory with what its commands need: config, resolved secrets, local root."""

    config: Config
    accessory: Accessory
    secrets: Mapping[str, Secret]
    root: Path = Path(".")

    @property
    def engine(self) -> Engine:
        return self.config.runtime

    @property
    def name(self) -> str:
        return self.accessory.service_name

    @property
    def env_file_path(self) -> str:
        return commands.env_file_path(self.config.service_and_destination, self.accessory.name)

    @property
    def proxied(self) -> AccessoryProxy | None:
        """Its route and health check when it is proxied (a ConfigError when it cannot be)."""
        return accessory_proxy(self.config, self.accessory, self.secrets)

    async def route(self, server: Server, proxied: AccessoryProxy | None = None) -> str:
        """Health-check it and route the proxy to it; "" when it is not proxied."""
        proxied = proxied or self.proxied
        if proxied is None:
            return ""
        return "; " + await proxying.route(server, self.config, proxied, self.accessory.name)

    async def unroute(self, server: Server, *, forget: bool = False) -> None:
        if self.accessory.proxy is not None:
            name = route_name(self.accessory)
            await proxying.unroute(server, self.config, name, forget=forget)

    def secret_env(self) -> dict[str, str]:
        return {ref.env_name: self.secrets[ref.secret_name] for ref in self.accessory.env.secrets}

    def run_spec(self, host: str) -> commands.AccessoryRun:
        clear = {**self.accessory.env.clear, "KAMAL_HOST": host}
        log = self.config.logging.effective_options
        log_options = [x for k, v in log.items() for x in ("--log-opt", f"{k}={v}")]
        if self.config.logging.driver:
            log_options = ["--log-driver", self.config.logging.driver, *log_options]
        return commands.AccessoryRun(self.accessory, clear, self.env_file_path, log_options)


def find(config: Config, name: str) -> Accessory:
    try:
        return config.accessory(name)
    except KeyError:
        known = ", ".join(a.name for a in config.accessories) or "none are configured"
        raise ConfigError(f"no accessory named {name!r} (accessories: {known})") from None


def selected(config: Config, name: str) -> list[Accessory]:
    """`all` or one accessory by name."""
    if name == "all":
        return list(config.accessories)
    return [find(config, name)]


async def state_of(server: Server, name: str) -> str | None:
    """The container's state (running, exited...), or None when there is none."""
    out = (await server.run(commands.container_exists(server.engine, name))).stdout
    return parse_container_state(out, name)


async def upload_files(server: Server, ctx: AccessoryContext) -> None:
    """Directories, then files (ERB rendered with the accessory's env) with their modes."""
    accessory = ctx.accessory
    await server.run(commands.make_directories(accessory))
    env = {**accessory.env.clear, **ctx.secret_env()}
    for file, content in rendered_files(accessory, env, ctx.root, ctx.config.destination):
        await server.upload(content, commands.file_host_path(accessory, file), mode=0o600)
        await server.run(commands.file_mode_owner(accessory, file))
    for directory in accessory.directories:
        fix = commands.directory_mode_owner(accessory, directory)
        if fix is not None:
            await server.run(fix)


async def boot_on_host(server: Server, ctx: AccessoryContext) -> str:
    """Kamal's boot: skipped where a container exists; else dirs, files, env file, run."""
    state = await state_of(server, ctx.name)
    if state is not None:
        return f"{ctx.name} already exists ({state}); `accessory reboot` replaces it"
    proxied = ctx.proxied  # a proxy setting that cannot work fails before the container runs
    await login(server, ctx)
    await server.run(app_commands.ensure_network(ctx.engine, ctx.accessory.network))
    await upload_files(server, ctx)
    content = env_file(ctx.secret_env())
    write_env = (
        write_stdin(ctx.env_file_path) if content else commands.empty_env_file(ctx.env_file_path)
    )
    make_env_dir = app_commands.make_dirs(ctx.env_file_path.rsplit("/", 1)[0])
    run = commands.run(ctx.engine, ctx.run_spec(server.host))
    await server.run(all_of(make_env_dir, write_env, run), input=content or None)
    from dockyard.workflows.backups.backup import install_if_configured

    await install_if_configured(server, ctx)
    return f"{ctx.name} booted" + await ctx.route(server, proxied)


async def login(server: Server, ctx: AccessoryContext) -> None:
    registry = ctx.accessory.registry
    if not registry or not registry.server or not registry.username or not registry.password:
        return
    user, password = registry.username, registry.password
    user_value = user.literal or (ctx.secrets[user.secret] if user.secret else "")
    pw_value = password.literal or (ctx.secrets[password.secret] if password.secret else "")
    await server.run(
        commands.registry_login(ctx.engine, registry.server, user_value, Secret(pw_value))
    )


async def reboot_on_host(server: Server, ctx: AccessoryContext) -> str:
    """Stop, remove, pull and boot again (the data directory stays)."""
    from dockyard.workflows.backups.backup import remove_backup_container

    await remove_backup_container(server, ctx)
    await server.run(commands.stop(ctx.engine, ctx.name))
    await server.run(commands.remove_container(ctx.engine, ctx.name), check=False)
    await login(server, ctx)
    await server.run(commands.pull(ctx.engine, ctx.accessory.image), timeout=UNBOUNDED)
    await boot_on_host(server, ctx)
    return f"{ctx.name} rebooted"


async def verb_on_host(server: Server, ctx: AccessoryContext, verb: str) -> str:
    """start, stop or restart the existing container."""
    if await state_of(server, ctx.name) is None:
        raise DockyardError(f"{server.host}: {ctx.name} does not exist; `dockyard accessory boot "
                            f"{ctx.accessory.name}` creates it")  # fmt: skip
    if verb == "stop":  # off the proxy first: its hosts answer 404, not a dial error
        await ctx.unroute(server)
    await server.run(cmd(ctx.engine.name, verb, ctx.name))
    done = f"{ctx.name} {verb}{'ped' if verb == 'stop' else 'ed'}"
    return done + (await ctx.route(server) if verb != "stop" else "")


async def remove_on_host(server: Server, ctx: AccessoryContext) -> str:
    """Container, image and ~/<service> (its data) with the env file, as Kamal's remove.
    The backup container, its scripts and key file go too; the backups stay."""
    from dockyard.workflows.backups.backup import forget_backup_setup

    await forget_backup_setup(server, ctx)
    await ctx.unroute(server, forget=True)
    await server.run(commands.stop(ctx.engine, ctx.name))
    await server.run(commands.remove_container(ctx.engine, ctx.name), check=False)
    await server.run(commands.remove_image(ctx.engine, ctx.accessory.image))
    await server.run(commands.remove_data(ctx.accessory, ctx.env_file_path))
    return f"{ctx.name} removed with ~/{commands.data_dir(ctx.accessory)}"


async def details_on_host(server: Server, ctx: AccessoryContext) -> list[str]:
    out = (await server.run(commands.details(ctx.engine, ctx.name))).stdout
    return [details_line(line) for line in out.splitlines() if line.strip()]


def secret_names(config: Config, names: Sequence[str] = ()) -> tuple[str, ...]:
    """The secrets boot_all needs: the accessories' env secrets and registry credentials."""
    found: list[str] = []
    for accessory in config.accessories:
        if names and accessory.name not in names:
            continue
        found += accessory.env.secret_names
        cert = accessory.proxy.custom_certificate if accessory.proxy else None
        if cert:
            found += [cert.certificate_pem, cert.private_key_pem]
        registry = accessory.registry
        if registry:
            found += [c.secret for c in (registry.username, registry.password) if c and c.secret]
    backups = config.dockyard.backups
    found += [s for n, b in backups.items() if not names or n in names for s in b.secret_names]
    return tuple(dict.fromkeys(found))


async def boot_all(
    transport: Transport,
    config: Config,
    secrets: Mapping[str, Secret],
    *,
    root: Path = Path("."),
    names: Sequence[str] = (),
) -> dict[str, dict[str, str]]:
    """Boot every accessory (or the named ones) on its hosts: accessory -> {host: outcome}.
    What `setup` calls before the app boots, as Kamal does:

        secrets = ctx.secret_values(accessory.secret_names(config))
        await accessory.boot_all(transport, config, secrets, root=ctx.root)
    """
    outcomes: dict[str, dict[str, str]] = {}
    for accessory in config.accessories:
        if names and accessory.name not in names:
            continue
        ctx = AccessoryContext(config, accessory, secrets, root)

        async def step(server: Server, ctx: AccessoryContext = ctx) -> str:
            return await boot_on_host(server, ctx)

        servers = [Server(transport, host, config.runtime) for host in accessory.hosts]
        outcomes[accessory.name] = await on_servers(servers, step)
    return outcomes

"""`accessory …` on servers: boot, reboot, start, stop, details, logs, exec, remove.

    booting.boot_all(transport, config, secrets)    what `setup` calls: every accessory, reported

A proxied accessory (`proxy:`) is routed through dockyard's proxy once its container answers
its health check (boot, reboot, start, restart), and taken off before it stops (stop, remove):
see accessory_proxy.

Secrets are resolved by the caller (a name -> Secret map) and reach the server only through the
0600 env file, written from standard input in the same round trip as `mkdir`.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.commands import accessory as commands
from dockyard.commands import app as app_commands
from dockyard.commands.base import all_of, cmd, write_stdin
from dockyard.commands.envfile import env_file
from dockyard.config.objects import Config
from dockyard.config.settings import Accessory
from dockyard.errors import AccessoryError, ConfigError, DockyardError
from dockyard.facts.accessory import details_line
from dockyard.redaction import Secret
from dockyard.ssh.transport import UNBOUNDED
from dockyard.workflows.accessories.context import AccessoryContext as AccessoryContext  # cli's
from dockyard.workflows.accessories.context import failing, state_of, told
from dockyard.workflows.accessories.files import rendered_files
from dockyard.workflows.backups.backup import (
    forget_backup_setup,
    install_if_configured,
    remove_backup_container,
)
from dockyard.workflows.server import Server


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


async def upload_files(server: Server, ctx: AccessoryContext) -> None:
    """Directories (~/<service> closed to other users), then files (ERB rendered with the
    accessory's env) with their modes: 0600 for one rendered from secrets."""
    accessory = ctx.accessory
    await server.run(commands.make_directories(accessory))
    secrets = ctx.secret_env()
    env = {**accessory.env.clear, **secrets}
    destination = ctx.config.destination
    for local in rendered_files(accessory, env, ctx.root, destination, secrets=secrets):
        path = commands.file_host_path(accessory, local.file)
        await server.upload(local.content, path, mode=0o600)
        await server.run(
            commands.file_mode_owner(accessory, local.file, from_secrets=local.from_secrets)
        )
    for directory in accessory.directories:
        fix = commands.directory_mode_owner(accessory, directory)
        if fix is not None:
            await server.run(fix)


async def boot_on_host(server: Server, ctx: AccessoryContext) -> str:
    """Kamal's boot, made to resume: skipped where its container runs (a proxied one is
    health-checked and routed again, as an earlier run that failed its check left it running
    and unrouted); a container an earlier run left created, exited or restarting is removed
    first; then dirs, files, env file, run."""
    async with failing(server, ctx.accessory.name, "booting", "; no container was made"):
        state = await state_of(server, ctx.name)
    if state == "running":
        kept = f"{ctx.name} already exists ({state}); `accessory reboot` replaces it"
        return kept + await ctx.route(server)
    if state is None:
        return await boot_new(server, ctx)
    await remove_leftover(server, ctx, state)
    return await boot_new(server, ctx) + f" (replacing the {state} container an earlier run left)"


async def remove_leftover(server: Server, ctx: AccessoryContext, state: str) -> None:
    """Remove the accessory's container that is not running (its data stays)."""
    name = ctx.accessory.name
    again = f"`dockyard accessory boot {name}` replaces it"
    async with failing(server, name, "booting", f"; {ctx.name} ({state}) may be left: {again}"):
        still = await remove_container(server, ctx)
    if still is not None:
        raise AccessoryError(f"{server.host}: booting {name} failed: {still}; {again}")


async def boot_new(server: Server, ctx: AccessoryContext) -> str:
    """Boot where there is no container: a failure leaves no container behind (or says what is
    left, and how to clear it)."""
    name = ctx.accessory.name
    proxied = ctx.proxied  # a proxy setting that cannot work fails before the container runs
    async with failing(server, name, "booting", "; no container was made"):
        await login(server, ctx)
        await server.run(app_commands.ensure_network(ctx.engine, ctx.accessory.network))
        await upload_files(server, ctx)
    await run_container(server, ctx)
    unscheduled = (f"; {ctx.name} is running, without its backup container: `dockyard accessory "
                   f"reboot {name}` sets it up")  # fmt: skip
    async with failing(server, name, "setting up the backups of", unscheduled):
        await install_if_configured(server, ctx)
    return f"{ctx.name} booted" + await ctx.route(server, proxied)


async def run_container(server: Server, ctx: AccessoryContext) -> None:
    """The env file and the container in one round trip; a failed run removes what it may have
    created (a container that never started would block the next boot)."""
    content = env_file(ctx.secret_env())
    write_env = (
        write_stdin(ctx.env_file_path) if content else commands.empty_env_file(ctx.env_file_path)
    )
    make_env_dir = app_commands.make_dirs(ctx.env_file_path.rsplit("/", 1)[0])
    run = commands.run(ctx.engine, ctx.run_spec(server.host))
    try:
        await server.run(all_of(make_env_dir, write_env, run), input=content or None)
    except DockyardError as error:
        name, left = ctx.accessory.name, "; no container was left"
        if not await _removed(server, ctx):
            left = (f"; a container {ctx.name} may be left half-made: `dockyard accessory reboot "
                    f"{name}` replaces it")  # fmt: skip
        raise told(server, name, "booting", error, left) from error


async def _removed(server: Server, ctx: AccessoryContext) -> bool:
    """Remove the accessory's container; True when it is gone."""
    try:
        return await remove_container(server, ctx) is None
    except DockyardError:
        return False


async def remove_container(server: Server, ctx: AccessoryContext) -> str | None:
    """`rm --force` its container (there may be none: not an error); None once it is gone,
    else what is there and why it stayed."""
    removed = await server.run(commands.remove_container(ctx.engine, ctx.name), check=False)
    state = await state_of(server, ctx.name)
    if state is None:
        return None
    why = " / ".join(removed.stderr.strip().splitlines()[-2:]) or "no message"
    return f"{ctx.name} is still there ({state}): `rm --force` says {why}"


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
    """Pull, then stop, remove and boot again (the data directory stays). Nothing is stopped
    until the image is there: a registry that fails leaves the accessory running."""
    name = ctx.accessory.name
    async with failing(server, name, "rebooting", f"; {ctx.name} was left as it was"):
        await login(server, ctx)
        await server.run(commands.pull(ctx.engine, ctx.accessory.image), timeout=UNBOUNDED)
    down = (f"; {ctx.name} may be stopped (its data stays): `dockyard accessory reboot {name}` "
            "boots it again")  # fmt: skip
    async with failing(server, name, "rebooting", down):
        await remove_backup_container(server, ctx)
        await server.run(commands.stop(ctx.engine, ctx.name))
        still = await remove_container(server, ctx)
    if still is not None:
        raise AccessoryError(f"{server.host}: rebooting {name} failed: {still}{down}")
    await boot_new(server, ctx)
    return f"{ctx.name} rebooted"


async def verb_on_host(server: Server, ctx: AccessoryContext, verb: str) -> str:
    """start, stop or restart the existing container."""
    doing = {"start": "starting", "stop": "stopping"}.get(verb, "restarting")
    async with failing(server, ctx.accessory.name, doing):
        if await state_of(server, ctx.name) is None:
            raise AccessoryError(f"{server.host}: {ctx.name} does not exist; `dockyard accessory "
                                 f"boot {ctx.accessory.name}` creates it")  # fmt: skip
        if verb == "stop":  # off the proxy first: its hosts answer 404, not a dial error
            await ctx.unroute(server)
        await server.run(cmd(ctx.engine.name, verb, ctx.name))
        done = f"{ctx.name} {verb}{'ped' if verb == 'stop' else 'ed'}"
        return done + (await ctx.route(server) if verb != "stop" else "")


async def remove_on_host(server: Server, ctx: AccessoryContext) -> str:
    """Container, image and ~/<service> (its data) with the env file, as Kamal's remove.
    The backup container, its scripts and key file go too; the backups stay. The data goes
    last, and only once the container is gone."""
    name, data = ctx.accessory.name, f"~/{commands.data_dir(ctx.accessory)}"
    again = f"`dockyard accessory remove {name}` again finishes it"
    async with failing(server, name, "removing", f"; its data in {data} is kept: {again}"):
        await forget_backup_setup(server, ctx)
        await ctx.unroute(server, forget=True)
        await server.run(commands.stop(ctx.engine, ctx.name))
        still = await remove_container(server, ctx)
        if still is not None:
            kept = f"its data in {data} is kept: {again}"
            raise AccessoryError(f"{server.host}: removing {name} failed: {still}; {kept}")
        await server.run(commands.remove_image(ctx.engine, ctx.accessory.image))
    async with failing(server, name, "removing", f"; {data} may be partly deleted: {again}"):
        await server.run(commands.remove_data(ctx.accessory, ctx.env_file_path))
    return f"{ctx.name} removed with {data}"


async def details_on_host(server: Server, ctx: AccessoryContext) -> list[str]:
    out = (await server.run(commands.details(ctx.engine, ctx.name))).stdout
    return [details_line(line) for line in out.splitlines() if line.strip()]


def secret_names(config: Config, names: Sequence[str] = ()) -> tuple[str, ...]:
    """The secrets booting.boot_all needs: the accessories' env secrets and registry credentials."""
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

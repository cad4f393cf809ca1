"""`dockyard lab up|down|status|ssh|env|reboot`: a lab of local servers (Linux, root)."""

from __future__ import annotations

import os
from typing import Any, cast

import click

from dockyard.cli.main import COMMANDS, echo_json
from dockyard.cli.suggest import SuggestingGroup
from dockyard.errors import LabError
from dockyard.lab import LabSpec, down, reboot, status, up
from dockyard.lab.lookup import find_lab, labs_here, not_found
from dockyard.lab.shell import dockyard_bin_dir, env_lines
from dockyard.lab.spec import IMAGE_CACHE, Engine

name_option = click.option(
    "--name",
    envvar="DOCKYARD_LAB",
    default="dockyard",
    show_default=True,
    help="Lab name (two labs need two names) [env DOCKYARD_LAB].",
)
dir_option = click.option(
    "--dir",
    "lab_dir",
    envvar="DOCKYARD_LAB_DIR",
    default=None,
    help="Lab dir [default: /var/lib/dockyard-lab/NAME; env DOCKYARD_LAB_DIR].",
)


@click.group("lab", cls=SuggestingGroup, help=COMMANDS["lab"][1])
def command() -> None:
    pass


@command.command("up", help="Bring up N servers, a builder host and a registry.")
@click.option("--servers", default=2, show_default=True, type=int, help="How many servers.")
@click.option("--engine", type=click.Choice(["docker", "podman"]), default="docker",
              show_default=True, help="Container engine on the servers.")  # fmt: skip
@name_option
@click.option("--subnet", envvar="DOCKYARD_LAB_SUBNET", default="10.77.0.0/24", show_default=True,
              help="The lab's network [env DOCKYARD_LAB_SUBNET].")  # fmt: skip
@dir_option
@click.option("--no-images", is_flag=True, help="Do not build and push the test images.")
def up_command(servers: int, engine: str, name: str, subnet: str, lab_dir: str | None,
               no_images: bool) -> None:  # fmt: skip
    spec = LabSpec(name=name, subnet=subnet, servers=servers, engine=cast(Engine, engine),
                   dir=lab_dir or "")  # fmt: skip
    info = up(
        spec, build_images=not no_images, progress=lambda m: click.echo(f"lab: {m}", err=True)
    )
    click.echo(f"lab {info.name} is up: {len(info.servers)} server(s), engine {info.engine}, "
               f"registry {info.registry} (registry.lab:5000 on the hosts)")  # fmt: skip
    for host in info.hosts:
        click.echo(
            f"  {host.name:8} {host.ip:15} {host.role:8} ssh -F {info.ssh_config} {host.name}"
        )
    flag = "" if name == "dockyard" else f" --name {name}"
    click.echo(f"or: dockyard lab ssh{flag} s1; take it down with: dockyard lab down{flag}")
    for key, ref in info.images.items():
        click.echo(f"  image {key:14} {ref}")
    click.echo(f'for your shell (dockyard on the PATH, this lab named): eval "$({_self()} lab env'
               f'{flag})"; then deploy an app: docs/getting-started.md')  # fmt: skip


def _self() -> str:
    """How this shell can run this dockyard again (its path when it is not on the PATH)."""
    bin_dir = dockyard_bin_dir()
    on_path = bin_dir is None or bin_dir in os.environ.get("PATH", "").split(":")
    return "dockyard" if on_path else f"{bin_dir}/dockyard"


@command.command("down", help="Remove everything the lab made (safe to run twice).")
@name_option
@dir_option
@click.option(
    "--purge",
    is_flag=True,
    help="Also remove the machine's image cache (every `up` starts from it).",
)
def down_command(name: str, lab_dir: str | None, purge: bool) -> None:
    down(name, lab_dir, purge=purge)
    click.echo(f"lab {name} is down" + (f"; removed {IMAGE_CACHE} too" if purge else ""))


@command.command("status", help="Show what of the lab is up.")
@name_option
@dir_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(name: str, lab_dir: str | None, as_json: bool) -> None:
    report = status(name, lab_dir)
    if report["state"] == "down":  # nothing of it runs or is left: it does not exist
        raise not_found(name, report["dir"], labs_here())
    if as_json:
        echo_json(report)
        return
    _print_status(report)


def _print_status(report: dict[str, Any]) -> None:
    click.echo(f"lab {report['name']}: {report['state']} ({report['dir']})")
    if report["subnet"]:
        reg = report["registry"]
        state = "answers" if reg["answers"] else ("running" if reg["running"] else "stopped")
        click.echo(f"  subnet {report['subnet']}, engine {report['engine']}, "
                   f"registry {reg['address']} {state}")  # fmt: skip
    for row in report["hosts"]:
        parts = [
            "running" if row["running"] else "stopped",
            "sshd up" if row["sshd"] else "sshd down",
            f"{row['engine']} answers" if row["engine_answers"] else f"{row['engine']} down",
        ]
        click.echo(f"  {row['name']:8} {row['ip'] or '?':15} {', '.join(parts)}")
    if report["state"] == "partial":
        click.echo(f"  (half up: run dockyard lab down --name {report['name']})")


@command.command(
    "ssh",
    help="Open ssh to a lab host (checking its host key): lab ssh s1 [-- CMD].",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@name_option
@dir_option
@click.argument("host")
@click.argument("cmd", nargs=-1, type=click.UNPROCESSED)
def ssh_command(name: str, lab_dir: str | None, host: str, cmd: tuple[str, ...]) -> None:
    info = find_lab(name, lab_dir)
    target = info.host(host)
    if not os.path.exists(info.ssh_config):
        raise LabError(f"{info.ssh_config} is missing; run: dockyard lab up --name {name}")
    os.execvp("ssh", ["ssh", "-F", info.ssh_config, target.name, *cmd])


@command.command("env", help='Shell lines for a lab: eval "$(dockyard lab env)".')
@name_option
@dir_option
def env_command(name: str, lab_dir: str | None) -> None:
    info = find_lab(name, lab_dir)
    click.echo(env_lines(info, dockyard_bin_dir(), os.environ.get("PATH", "")), nl=False)


@command.command(
    "reboot", help="Power a lab host off, wait, and start it again: lab reboot [--off-for S] s1."
)
@name_option
@dir_option
@click.option("--off-for", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Seconds the host stays off.")  # fmt: skip
@click.argument("host")
def reboot_command(name: str, lab_dir: str | None, off_for: float, host: str) -> None:
    info = find_lab(name, lab_dir)
    info.host(host)  # a host the lab lacks: its hosts named
    rebooted = reboot(
        info.name, host, off_for=off_for, lab_dir=info.dir,
        progress=lambda m: click.echo(f"lab: {m}", err=True),
    )  # fmt: skip
    click.echo(f"lab {info.name}: {rebooted.name} rebooted (off for {off_for:g}s)")

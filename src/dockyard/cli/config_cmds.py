"""`dockyard config`, `dockyard docs` and `dockyard init`.

Start-up stays light: click, PyYAML and the config package; no rich, no asyncssh.
start-up: each command imports what it alone needs (below); imported on top, they make
`dockyard docs` take 0.25 s instead of 0.17 s, `dockyard init --help` 0.21 s instead of 0.12 s
(median of 15, interleaved).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dockyard.errors import LabError, UsageError

if TYPE_CHECKING:
    from dockyard.lab.info import LabInfo
    from dockyard.loading.init_files import LabTarget

_HELP_CONFIG = "Show the resolved configuration, secrets redacted"


def config_options(function: Any) -> Any:
    """Kamal's global options that matter for reading the config."""
    options = [
        click.option("-c", "--config-file", default="config/deploy.yml", show_default=True,
                     help="Path to the config file"),
        click.option("-d", "--destination", default=None,
                     help="Destination: also reads config/deploy.<destination>.yml"),
        click.option("--version", "version", default=None,
                     help="App version to use (default: $VERSION or git HEAD)"),
        click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors"),
        click.option("-q", "--quiet", is_flag=True, help="Print errors only"),
    ]  # fmt: skip
    for option in reversed(options):
        function = option(function)
    return function


@click.command("config", help=_HELP_CONFIG)
@config_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["dockyard", "kamal"]),
    default="dockyard",
    show_default=True,
    help="kamal: the structure `kamal config` prints",
)
def config_command(
    config_file: str,
    destination: str | None,
    version: str | None,
    verbose: bool,
    quiet: bool,
    as_json: bool,
    output_format: str,
) -> None:
    # start-up: see the module docstring
    from dockyard.loading import load_config

    config = load_config(config_file, destination, version)
    for line in config.warnings:
        click.echo(f"WARNING: {line}", err=True)
    if output_format == "kamal":
        # start-up: see the module docstring
        from dockyard.config.kamal_format import kamal_config

        data = kamal_config(config)
    else:
        # start-up: see the module docstring
        from dockyard.config.view import config_view

        data = config_view(config)
    click.echo(_render(data, as_json))


def _render(data: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, indent=2)
    # start-up: see the module docstring
    import yaml

    return yaml.safe_dump(data, sort_keys=False, explicit_start=True, width=100).rstrip()


@click.command("docs", help="Show the documentation of every configuration key")
@click.argument("section", required=False)
def docs_command(section: str | None) -> None:
    # start-up: see the module docstring
    from dockyard.config.docs import SECTION_NAMES, render_docs

    if section is not None and section not in SECTION_NAMES:
        raise UsageError(
            f"no documentation section {section!r}; choose one of: {', '.join(SECTION_NAMES)}"
        )
    click.echo(render_docs(section))


@click.command("init", help="Create config/deploy.yml, .kamal/secrets and sample hooks")
@click.option(
    "--lab",
    "lab_name",
    metavar="NAME",
    default=None,
    help="Write a config that deploys this directory's app to the running lab NAME.",
)
@click.option(
    "--lab-dir",
    envvar="DOCKYARD_LAB_DIR",
    default=None,
    help="The lab's dir [default: /var/lib/dockyard-lab/NAME; env DOCKYARD_LAB_DIR]",
)
def init_command(lab_name: str | None, lab_dir: str | None) -> None:
    # start-up: see the module docstring (the lab package is slow to import)
    from dockyard.lab.lookup import find_lab
    from dockyard.loading.init_files import write_init_files

    lab = lab_target(find_lab(lab_name, lab_dir)) if lab_name else None
    for path, written in write_init_files(Path.cwd(), lab):
        state = "created" if written else "exists, left unchanged"
        click.echo(f"{path}: {state}")
    if lab and not Path("Dockerfile").is_file():
        click.echo("no Dockerfile here: the build needs one (docs/getting-started.md has one)")


def lab_target(info: LabInfo) -> LabTarget:
    # start-up: see the module docstring
    from dockyard.loading.init_files import LabTarget

    if "proxy" not in info.images:
        raise LabError(f"lab {info.name} has no images (brought up with --no-images); run: "
                       f"dockyard lab down --name {info.name}, then dockyard lab up --name "
                       f"{info.name}")  # fmt: skip
    return LabTarget(
        name=info.name, subnet=info.subnet, servers=tuple(h.ip for h in info.servers),
        builder=info.builder.ip, ssh_config=info.ssh_config, registry=info.registry_host,
        proxy_image=info.images["proxy"], engine=info.engine,
    )  # fmt: skip

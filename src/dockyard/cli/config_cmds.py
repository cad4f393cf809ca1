"""`dockyard config`, `dockyard docs` and `dockyard init`.

Start-up stays light: click, PyYAML and the config package; no rich, no asyncssh.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dockyard.errors import UsageError

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
    from dockyard.loading import load_config

    config = load_config(config_file, destination, version)
    if output_format == "kamal":
        from dockyard.config.kamal_format import kamal_config

        data = kamal_config(config)
    else:
        from dockyard.config.view import config_view

        data = config_view(config)
    click.echo(_render(data, as_json))


def _render(data: Any, as_json: bool) -> str:
    if as_json:
        return json.dumps(data, indent=2)
    import yaml

    return yaml.safe_dump(data, sort_keys=False, explicit_start=True, width=100).rstrip()


@click.command("docs", help="Show the documentation of every configuration key")
@click.argument("section", required=False)
def docs_command(section: str | None) -> None:
    from dockyard.config.docs import SECTION_NAMES, render_docs

    if section is not None and section not in SECTION_NAMES:
        raise UsageError(
            f"no documentation section {section!r}; choose one of: {', '.join(SECTION_NAMES)}"
        )
    click.echo(render_docs(section))


@click.command("init", help="Create config/deploy.yml, .kamal/secrets and sample hooks")
def init_command() -> None:
    from dockyard.loading.init_files import write_init_files

    for path, written in write_init_files(Path.cwd()):
        state = "created" if written else "exists, left unchanged"
        click.echo(f"{path}: {state}")

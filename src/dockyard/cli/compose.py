"""`dockyard compose convert`: the config/deploy.yml a Compose project is deployed as."""

from __future__ import annotations

import os
from pathlib import Path

import click
import yaml

from dockyard.cli.suggest import SuggestingGroup
from dockyard.loading.compose import mapped_project


@click.group("compose", cls=SuggestingGroup)
def command() -> None:
    """Work with a Compose project as the app's spec."""


@command.command("convert")
@click.option("-f", "--file", "files", multiple=True,
              help="A Compose file (repeat to merge them as Compose does; default: Compose's "
              "own choice: compose.yaml, $COMPOSE_FILE...).")  # fmt: skip
@click.option("--profile", "profiles", multiple=True, help="Enable a Compose profile (repeat).")
def convert(files: tuple[str, ...], profiles: tuple[str, ...]) -> None:
    """Print the config/deploy.yml equivalent to the Compose project (read through `docker
    compose config`); what it cannot carry over is a warning on stderr, by its path."""
    mapped = mapped_project(Path.cwd(), files, os.environ, profiles)
    for report in mapped.reports:
        click.echo(f"WARNING: {report}", err=True)
    document = dict(mapped.document)
    if mapped.version is not None:
        click.echo(f"# the app image's tag in the project: {mapped.version} (deploy --version)")
    click.echo(yaml.safe_dump(document, sort_keys=False, width=100).rstrip())

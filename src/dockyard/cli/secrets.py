"""`dockyard secrets fetch|extract|print`, with Kamal's flags and output."""

from __future__ import annotations

import json
from pathlib import Path

import click

from dockyard.cli.suggest import SuggestingGroup
from dockyard.loading import load_config
from dockyard.loading.version import NO_VERSION
from dockyard.secrets import load_secrets
from dockyard.secrets.vault import extract, fetch, fetch_json


@click.group("secrets", cls=SuggestingGroup, help="Fetch, extract and print secrets")
def command() -> None:
    pass


@command.command("fetch", help="Fetch secrets from a vault; prints them as a JSON object")
@click.argument("secrets", nargs=-1)
@click.option("-a", "--adapter", required=True, help="Which vault adapter to use")
@click.option("--account", default=None, help="The account identifier or username")
@click.option("--from", "from_", default=None, help="A vault or folder to fetch the secrets from")
@click.option("--inline", is_flag=True, hidden=True)
def fetch_command(
    secrets: tuple[str, ...], adapter: str, account: str | None, from_: str | None, inline: bool
) -> str | None:
    results = fetch(adapter, secrets, account=account, from_=from_)
    return _return_or_echo(fetch_json(results, inline=inline), inline)


@command.command("extract", help="Extract a single secret from the results of a fetch call")
@click.argument("name")
@click.argument("secrets")
@click.option("--inline", is_flag=True, hidden=True)
def extract_command(name: str, secrets: str, inline: bool) -> str | None:
    return _return_or_echo(extract(name, secrets), inline)


@command.command("print", help="Print the secrets (for debugging): values are shown")
@click.option("-c", "--config-file", default="config/deploy.yml", show_default=True)
@click.option("-d", "--destination", default=None, help="Read .kamal/secrets.<destination>")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object instead of K=V lines")
def print_command(config_file: str, destination: str | None, as_json: bool) -> None:
    # As in Kamal, the config must be valid; its version plays no part in secrets.
    config = load_config(config_file, destination=destination, version=NO_VERSION)
    secrets = load_secrets(config.secrets_path, destination, root=Path.cwd()).all()
    if as_json:
        click.echo(json.dumps({key: str(value) for key, value in secrets.items()}, indent=2))
        return
    for key, value in secrets.items():
        click.echo(f"{key}={value}")


def _return_or_echo(text: str, inline: bool) -> str | None:
    if inline:
        return text
    click.echo(text)
    return None


__all__ = ["command"]

"""`dockyard secrets fetch|extract|print`, with Kamal's flags and output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from dockyard.errors import ConfigError, DockyardError, SecretsError, UsageError
from dockyard.secrets import load_secrets
from dockyard.secrets.vault import extract, fetch, fetch_json
from dockyard.templating import render_erb


@click.group("secrets", help="Fetch, extract and print secrets")
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
    secrets_path = _secrets_path(Path(config_file), destination)
    secrets = load_secrets(secrets_path, destination, root=Path.cwd()).all()
    if as_json:
        click.echo(json.dumps({key: str(value) for key, value in secrets.items()}, indent=2))
        return
    for key, value in secrets.items():
        click.echo(f"{key}={value}")


def run_inline(argv: list[str]) -> str:
    """`secrets <argv> --inline` run in-process, its output returned (for `$(…)` in files)."""
    try:
        result = command.main(args=[*argv, "--inline"], prog_name="secrets", standalone_mode=False)
    except click.ClickException as error:
        raise UsageError(error.format_message()) from None
    if not isinstance(result, str):
        raise SecretsError(f"`secrets {' '.join(argv[:1])}` gives no value to substitute")
    return result.removesuffix("\n")


def _return_or_echo(text: str, inline: bool) -> str | None:
    if inline:
        return text
    click.echo(text)
    return None


def _secrets_path(config_file: Path, destination: str | None) -> str:
    """`secrets_path` of the config (destination file first), else Kamal's default."""
    files = [config_file]
    if destination:
        files.insert(0, config_file.with_suffix(f".{destination}.yml"))
    for path in files:
        if not path.is_file():
            raise ConfigError(f"Configuration file not found in {path}")
    for path in files:
        value = _load_yaml(path, destination).get("secrets_path")
        if isinstance(value, str):
            return value
    return ".kamal/secrets"


def _load_yaml(path: Path, destination: str | None) -> dict[str, Any]:
    text = render_erb(path.read_text(encoding="utf-8"), filename=str(path), destination=destination)
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"not valid YAML: {error}", file=str(path)) from None
    return loaded if isinstance(loaded, dict) else {}


__all__ = ["DockyardError", "command", "run_inline"]

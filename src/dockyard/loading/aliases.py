"""Aliases from `aliases:`: an unknown command name becomes the command line it stands for.

As in Kamal, the alias text is split with shell rules and the rest of the command line is
appended. The config is read with the -c/-d given after the alias name.
"""

from __future__ import annotations

from pathlib import Path

from dockyard.config import check_destination, merged_document
from dockyard.config.validate import validate
from dockyard.errors import ConfigError
from dockyard.loading import DEFAULT_CONFIG_FILE, config_files, read_rendered


def config_location(args: list[str]) -> tuple[str, str | None]:
    """The -c/--config-file and -d/--destination values found in args."""
    found: dict[str, str] = {}
    names = {"-c": "c", "--config-file": "c", "-d": "d", "--destination": "d"}
    for index, arg in enumerate(args):
        name, equals, value = arg.partition("=")
        if name in names and equals:
            found[names[name]] = value
        elif arg in names and index + 1 < len(args):
            found[names[arg]] = args[index + 1]
        elif arg[:2] in ("-c", "-d") and len(arg) > 2 and not arg.startswith("--"):
            found[names[arg[:2]]] = arg[2:]
    return found.get("c", DEFAULT_CONFIG_FILE), found.get("d")


def load_aliases(config_file: str, destination: str | None, root: Path) -> dict[str, str]:
    """The validated aliases of the config, or {} when there is no readable, valid config."""
    if not (root / config_file).exists():
        return {}
    try:
        check_destination(destination)
        files = [
            (name, read_rendered(root, name, destination))
            for name in config_files(config_file, destination)
        ]
        aliases = validate(merged_document(files)).get("aliases") or {}
    except ConfigError:
        return {}
    return {str(name): str(command) for name, command in aliases.items()}


def aliases_here(rest: list[str], root: Path | None = None) -> dict[str, str]:
    """The aliases of the config that the rest of the command line names (-c, -d)."""
    config_file, destination = config_location(rest)
    return load_aliases(config_file, destination, root or Path.cwd())

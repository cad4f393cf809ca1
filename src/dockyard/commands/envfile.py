"""Docker env files and `--key value` options (pure), as Kamal writes them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard.config.env_limits import escape_env_value


def env_file(values: Mapping[str, str]) -> str:
    """One `NAME=value` line per variable.

    Docker reads env files literally and cannot carry a newline, so values are escaped like
    Kamal's EnvFile (Ruby's String#dump without its quotes, keeping `"`, `#` and non-ASCII):
    an app deployed by Kamal sees exactly the same bytes.
    """
    return "".join(f"{name}={escape_env_value(value)}\n" for name, value in values.items())


def optionize(options: Mapping[str, Any]) -> list[str]:
    """Kamal's `options:` map as arguments: `memory: 2g` -> `--memory 2g`, `init: true` -> `--init`,
    a list repeats the flag."""
    args: list[str] = []
    for key, value in options.items():
        flag = f"--{key}"
        values = value if isinstance(value, list) else [value]
        for item in values:
            if item is True or item is None:
                args.append(flag)
            elif item is not False:
                args += [flag, str(item)]
    return args

"""How big env values may be, by the limits of what carries them to the container (pure).

- Secret values go into an env file (`--env-file`). Docker and Podman read it with Go's
  bufio.Scanner, which takes lines of at most 64 KiB; a longer one fails `docker run` with a
  page-long error. A line is `NAME=value`, the value escaped as Kamal's EnvFile does.
- Clear values go on the `docker run` command line (`--env NAME=value`), and ssh hands the remote
  shell that whole command as one argument, which Linux caps at 128 KiB (MAX_ARG_STRLEN): past
  it the command fails with "Argument list too long". Half of that is left to the clear env.

Both are refused before anything runs: clear values when the config is loaded, secret values at
the moment they are resolved (naming the secret, never showing its value).
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from dockyard.config.display import shown

MAX_ENV_FILE_LINE = 64 * 1024 - 1  # bytes of `NAME=value` and its newline within 64 KiB
MAX_ARGUMENT = 128 * 1024  # Linux's MAX_ARG_STRLEN
MAX_CLEAR_ENV = MAX_ARGUMENT // 2

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\e", "\0": "\\0"}


def escape_env_value(value: str) -> str:
    """A value as an env-file line holds it: Kamal's EnvFile escaping (Ruby's String#dump
    without its quotes, keeping `"`, `#` and non-ASCII), since env files cannot carry a
    newline."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\x{ord(char):02X}")
        else:
            out.append(char)
    return "".join(out)


def env_file_line_bytes(name: str, value: str) -> int:
    return len(f"{name}={escape_env_value(value)}".encode())


def secret_size_problem(name: str, value: str) -> str | None:
    """Why secret `name` cannot go into an env file, if it cannot; the value is never shown."""
    size = env_file_line_bytes(name, value)
    if size <= MAX_ENV_FILE_LINE:
        return None
    return (
        f"Secret '{name}' makes an env file line of {size} bytes; the engine reads lines of at "
        f"most {MAX_ENV_FILE_LINE} (64 KiB): keep big values out of env"
    )


def clear_env_bytes(clear: Mapping[str, str]) -> int:
    """What the clear env adds to the command line: ` --env 'NAME=value'` per variable."""
    return sum(len(f" --env {shlex.quote(f'{k}={v}')}".encode()) for k, v in clear.items())


def clear_env_problem(clear: Mapping[str, str], where: str) -> str | None:
    """Why this clear env cannot go on the command line of the container `where` describes."""
    total = clear_env_bytes(clear)
    if total <= MAX_CLEAR_ENV:
        return None
    biggest = max(clear, key=lambda name: clear_env_bytes({name: clear[name]}))
    return (
        f"the clear env of {where} takes {total} bytes of the docker run command line "
        f"({shown(biggest)} alone {clear_env_bytes({biggest: clear[biggest]})}); Linux passes at "
        f"most {MAX_ARGUMENT} in one command, so keep it under {MAX_CLEAR_ENV} (64 KiB)"
    )

"""`$(kamal secrets fetch …)` and `$(kamal secrets extract …)` in a secrets file, run in-process.

Kamal runs these inline with `--inline`: fetch prints its JSON shell-escaped, extract prints the
value, and the output replaces the `$(…)`. The flags are the CLI's (`dockyard secrets fetch`):
`-a/--adapter` (required), `--account`, `--from`, then secret names; `extract NAME SECRETS`.
"""

from __future__ import annotations

import getopt
import re
import shlex

from dockyard.errors import SecretsError, UsageError
from dockyard.secrets.vault import extract, fetch, fetch_json

_SECRETS_COMMAND = re.compile(r"\A\s*(?:kamal|dockyard)\s*secrets\s+")
_FETCH_SHORT = "a:"
_FETCH_LONG = ["adapter=", "account=", "from=", "inline"]


def is_secrets_command(text: str) -> bool:
    """A `kamal secrets …` or `dockyard secrets …` command line (run in-process, not by sh)."""
    return _SECRETS_COMMAND.match(text) is not None


def run_secrets_line(text: str) -> str:
    """The output of a `kamal secrets <subcommand> …` command line, as `--inline` gives it."""
    words = shlex.split(text)[1:]
    if words[:1] != ["secrets"]:
        raise SecretsError(f"`{_short(text)}` is not a `secrets` command")
    return run_inline(words[1:])


def run_inline(argv: list[str]) -> str:
    """`secrets <argv> --inline` in-process: its output, without the final newline."""
    subcommand, args = (argv[0], argv[1:]) if argv else ("", [])
    if subcommand == "fetch":
        return _fetch(args)
    if subcommand == "extract":
        return _extract(args)
    raise SecretsError(f"`secrets {subcommand}` gives no value to substitute; use fetch or extract")


def _fetch(args: list[str]) -> str:
    try:
        options, names = getopt.gnu_getopt(args, _FETCH_SHORT, _FETCH_LONG)
    except getopt.GetoptError as error:
        raise UsageError(f"secrets fetch: {error.msg}") from None
    given = {name.lstrip("-"): value for name, value in options}
    adapter = given.get("adapter", given.get("a"))
    if not adapter:
        raise UsageError("secrets fetch: Missing option '-a' / '--adapter'.")
    results = fetch(adapter, names, account=given.get("account"), from_=given.get("from"))
    return fetch_json(results, inline=True)


def _extract(args: list[str]) -> str:
    try:
        _, positional = getopt.gnu_getopt(args, "", ["inline"])
    except getopt.GetoptError as error:
        raise UsageError(f"secrets extract: {error.msg}") from None
    if len(positional) != 2:
        raise UsageError("secrets extract: takes NAME and SECRETS (the JSON of a fetch)")
    return extract(positional[0], positional[1])


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."

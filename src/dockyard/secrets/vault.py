"""`secrets fetch` and `secrets extract` as Kamal does them, for the CLI and for `$(…)` inline."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from dockyard.errors import SecretsError, UsageError
from dockyard.secrets.adapters import lookup

_RUBY_SAFE = re.compile(r"[^A-Za-z0-9_\-.,:+/@\n]")


def ruby_shellescape(text: str) -> str:
    """Ruby's String#shellescape: a backslash before each special character."""
    if not text:
        return "''"
    return _RUBY_SAFE.sub(lambda match: "\\" + match[0], text).replace("\n", "'\n'")


def fetch(
    adapter_name: str, names: Sequence[str], *, account: str | None, from_: str | None
) -> dict[str, str]:
    """The secrets named, as {name: value}, from the vault behind the adapter."""
    adapter = lookup(adapter_name)
    if adapter.requires_account and not account:
        raise UsageError(f"the {adapter_name} adapter needs --account; give it and run again")
    adapter.check_installed()
    session = adapter.login(account)
    return adapter.fetch_secrets(list(names), account=account, from_=from_, session=session)


def fetch_json(results: dict[str, str], *, inline: bool) -> str:
    # Ruby's JSON.dump: compact, non-ASCII as is, "/" not escaped.
    text = json.dumps(results, separators=(",", ":"), ensure_ascii=False)
    return ruby_shellescape(text) if inline else text


def extract(name: str, secrets_json: str) -> str:
    """One value of a fetch's JSON: the exact key, else the first key ending in /name."""
    try:
        secrets = json.loads(secrets_json)
    except json.JSONDecodeError as error:
        raise SecretsError(
            f"cannot extract {name}: the secrets are not JSON ({error.msg})"
        ) from None
    if not isinstance(secrets, dict):
        raise SecretsError(f"cannot extract {name}: the secrets are not a JSON object")
    value = secrets.get(name)
    if value is None:
        value = next((v for k, v in secrets.items() if k.endswith(f"/{name}")), None)
    if value is None:
        raise SecretsError(f"Could not find secret {name}")
    return value if isinstance(value, str) else json.dumps(value)

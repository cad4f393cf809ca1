"""1Password through `op`: one `op item get` per item, fields by label, as Kamal does."""

from __future__ import annotations

from typing import Any

from dockyard.errors import SecretsError
from dockyard.secrets.adapters.base import Adapter, prefixed


class OnePassword(Adapter):
    product = "1Password"
    cli = "op"

    def login(self, account: str | None) -> str | None:
        assert account is not None
        if self.run(["op", "account", "get", "--account", account], quiet=True).ok:
            return None
        done = self.run(["op", "signin", "--account", account, "--force", "--raw"])
        if not done.ok:
            raise SecretsError("Failed to login to 1Password")
        return done.stdout.strip() or None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        assert account is not None
        results: dict[str, str] = {}
        if not names:
            vault, _, item = (from_ or "").removeprefix("op://").partition("/")
            got = self._item(vault, item.split("/")[0], [], account, session)
            fields = got.get("fields", []) if isinstance(got, dict) else []
            return _fields_map(fields)
        for vault, items in _vaults_items_fields(prefixed(names, from_)).items():
            for item, fields in items.items():
                got = self._item(vault, item, fields, account, session)
                results |= _fields_map([got] if len(fields) == 1 else got)
        return results

    def _item(
        self, vault: str, item: str, fields: list[str], account: str, session: str | None
    ) -> Any:
        argv = ["op", "item", "get", item, "--vault", vault, "--format", "json"]
        argv += ["--account", account, *(["--session", session] if session else [])]
        if fields:
            argv += ["--fields", ",".join(f"label={field}" for field in fields)]
        which = f"{', '.join(fields)} " if fields else ""
        failure = f"Could not read {which}from {item} in the {vault} 1Password vault"
        return self.parse_json(self.output(argv, failure), f"{item} in {vault}")


def _vaults_items_fields(secrets: list[str]) -> dict[str, dict[str, list[str]]]:
    """`vault/item[/section]/field` (or op://…) grouped by vault and item; no field: password."""
    vaults: dict[str, dict[str, list[str]]] = {}
    for secret in secrets:
        parts = secret.removeprefix("op://").split("/")
        vault, item, fields = parts[0], "/".join(parts[1:2]), parts[2:] or ["password"]
        vaults.setdefault(vault, {}).setdefault(item, []).append(".".join(fields))
    return vaults


def _fields_map(fields: Any) -> dict[str, str]:
    results: dict[str, str] = {}
    for field in fields if isinstance(fields, list) else []:
        reference = str(field.get("reference", "")).removeprefix("op://").removesuffix("/password")
        value = field.get("value")
        results[reference] = "" if value is None else str(value)
    return results

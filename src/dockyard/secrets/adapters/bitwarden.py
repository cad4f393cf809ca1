"""Bitwarden through `bw` (login, unlock, sync, items) and Secrets Manager through `bws`."""

from __future__ import annotations

from typing import Any

from dockyard.errors import SecretsError
from dockyard.secrets.adapters.base import Adapter, prefixed


class Bitwarden(Adapter):
    product = "Bitwarden"
    cli = "bw"

    def _bw(self, *args: str, session: str | None = None) -> str:
        env = {"BW_SESSION": session} if session else None
        return self.run(["bw", *args], env=env).stdout.strip()

    def _status(self, session: str | None = None) -> Any:
        status = self.parse_json(self._bw("status", session=session), "bw status")
        return status.get("status") if isinstance(status, dict) else None

    def login(self, account: str | None) -> str | None:
        assert account is not None
        status, session = self._status(), None
        if status == "unauthenticated":
            self._bw("login", account)
            status = self._status()
        if status == "locked":
            session = self._bw("unlock", "--raw") or None
            status = self._status(session)
        if status != "unlocked":
            raise SecretsError("Failed to login to and unlock Bitwarden")
        env = {"BW_SESSION": session} if session else None
        if not self.run(["bw", "sync"], env=env).ok:
            raise SecretsError("Failed to sync Bitwarden")
        return session

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        results: dict[str, str] = {}
        for item, fields in _items_fields(prefixed(names, from_)).items():
            env = {"BW_SESSION": session} if session else None
            text = self.output(
                ["bw", "get", "item", item], f"Could not read {item} from Bitwarden", env=env
            )
            got = self.parse_json(text, item)
            password = (got.get("login") or {}).get("password")
            if fields:
                results |= _from_fields(fields, item, got)
            elif password:
                results[item] = password
            elif got.get("fields"):
                results |= _from_fields([f["name"] for f in got["fields"]], item, got)
            else:
                raise SecretsError(
                    f"Item {item} is not a login type item and no fields were specified"
                )
        return results


def _items_fields(secrets: list[str]) -> dict[str, list[str]]:
    items: dict[str, list[str]] = {}
    for secret in secrets:
        item, _, field = secret.partition("/")
        fields = items.setdefault(item, [])
        if field:
            fields.append(field.split("/")[0])
    return items


def _from_fields(fields: list[str], item: str, got: Any) -> dict[str, str]:
    results = {}
    for field in fields:
        found = next((f for f in got.get("fields") or [] if f.get("name") == field), None)
        if found is None:
            raise SecretsError(f"Could not find field {field} in item {item} in Bitwarden")
        results[f"{item}/{field}"] = str(found.get("value") or "")
    return results


class BitwardenSecretsManager(Adapter):
    product = "Bitwarden Secrets Manager"
    cli = "bws"
    requires_account = False

    def login(self, account: str | None) -> str | None:
        if not self.run(["bws", "project", "list"]).ok:
            raise SecretsError(
                "Could not authenticate to Bitwarden Secrets Manager."
                " Did you set a valid access token?"
            )
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        if not names:
            raise SecretsError("You must specify what to retrieve from Bitwarden Secrets Manager")
        secrets = prefixed(names, from_)
        listing = _list_command(secrets)
        if listing is not None:
            failure = "Could not read secrets from Bitwarden Secrets Manager"
            items = self.parse_json(self.output(listing, failure), "bws secret list")
            return {item["key"]: item["value"] for item in items}
        results = {}
        for uuid in secrets:
            failure = f"Could not read {uuid} from Bitwarden Secrets Manager"
            item = self.parse_json(self.output(["bws", "secret", "get", uuid], failure), uuid)
            results[item["key"]] = item["value"]
        return results


def _list_command(secrets: list[str]) -> list[str] | None:
    """`all` lists every secret, `<project>/all` a project's; anything else is by UUID."""
    if len(secrets) != 1:
        return None
    if secrets[0] == "all":
        return ["bws", "secret", "list"]
    if secrets[0].endswith("/all"):
        return ["bws", "secret", "list", secrets[0].split("/all")[0]]
    return None

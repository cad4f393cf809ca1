"""Passbolt through `passbolt list resources|folders`, resolving nested folder paths."""

from __future__ import annotations

import json
from typing import Any

from dockyard.errors import SecretsError, UsageError
from dockyard.secrets.adapters.base import Adapter, prefixed

Folder = dict[str, Any]


def _is(field: str, value: str) -> str:
    # A string literal of passbolt's filter language (Go syntax; JSON's quoting is valid there).
    return f"{field} == {json.dumps(value)}"


class Passbolt(Adapter):
    product = "Passbolt"
    cli = "passbolt"
    requires_account = False

    def login(self, account: str | None) -> str | None:
        if not self.run(["passbolt", "verify"]).ok:
            raise SecretsError("Failed to login to Passbolt")
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        secrets = prefixed(names, from_)
        if not secrets:
            raise UsageError("No secrets given to fetch")
        folders = self._folders(secrets)
        conditions = [c for c in (_condition(s, folders) for s in secrets) if c]
        argv = ["passbolt", "list", "resources"]
        argv += ["--filter", " || ".join(conditions)] if conditions else []
        for folder in folders:
            argv += ["--folder", str(folder["id"])]
        failure = f"Could not read {', '.join(secrets)} from Passbolt"
        items = self.parse_json(self.output([*argv, "--json"], failure), "list resources")
        found = {item["name"] for item in items}
        missing = [n for n in dict.fromkeys(s.split("/")[-1] for s in secrets) if n not in found]
        if missing:
            raise SecretsError(
                f"Could not find the following secrets in Passbolt: {', '.join(missing)}"
            )
        return {item["name"]: item["password"] for item in items}

    def _list_folders(self, condition: str) -> Any:
        argv = ["passbolt", "list", "folders", "--filter", condition, "--json"]
        done = self.run(argv)
        return self.parse_json(done.stdout, "list folders") if done.ok else None

    def _folders(self, secrets: list[str]) -> list[Folder]:
        paths = list(dict.fromkeys(tuple(s.split("/")[:-1]) for s in secrets if "/" in s))
        if not paths:
            return []
        parents = dict.fromkeys(path[0] for path in paths)
        top = self._list_folders(" || ".join(_is("Name", name) for name in parents))
        if top is None:
            raise SecretsError("Could not read folders from Passbolt")
        folders: list[Folder] = list(top)
        for path in (p for p in paths if len(p) > 1):
            current: Folder | None = next((f for f in top if f["name"] == path[0]), None)
            for name in path[1:]:
                if current is None:
                    break
                condition = f"{_is('Name', name)} && {_is('FolderParentID', current['id'])}"
                nested = self._list_folders(condition)
                if not nested:
                    break
                folders.append(nested[0])
                current = nested[0]
        found = {_folder_path(f, folders) for f in folders}
        missing = ["/".join(p) for p in paths if "/".join(p) not in found]
        if missing:
            raise SecretsError(
                f"Could not find the following folders in Passbolt: {', '.join(missing)}"
            )
        return folders


def _folder_path(folder: Folder, folders: list[Folder]) -> str:
    names = [folder["name"]]
    while str(folder.get("folder_parent_id") or ""):
        parent = next((f for f in folders if f["id"] == folder["folder_parent_id"]), None)
        if parent is None or len(names) > len(folders):
            break
        names.insert(0, parent["name"])
        folder = parent
    return "/".join(names)


def _condition(secret: str, folders: list[Folder]) -> str | None:
    """The filter for one secret: by name, and in its most nested folder found."""
    *path, name = secret.split("/")
    if not path:
        return _is("Name", name)
    folder = None
    for depth in range(1, len(path) + 1):
        matching = [f for f in folders if _folder_path(f, folders) == "/".join(path[:depth])]
        folder = matching[0] if matching else folder
    if folder is None:
        return None
    return f"({_is('Name', name)} && {_is('FolderParentID', folder['id'])})"

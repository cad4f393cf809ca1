"""Enpass through `enpass-cli`: offline, a vault path in `--from`, no account."""

from __future__ import annotations

from dockyard.errors import SecretsError, UsageError
from dockyard.secrets.adapters.base import Adapter


class Enpass(Adapter):
    product = "Enpass"
    cli = "enpass-cli"
    version_args = ("version",)
    requires_account = False

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        if not from_:
            raise UsageError("the enpass adapter needs --from <vault path>; give it and run again")
        # `Item/LABEL` asks for one password of an item, `Item` for all of them.
        titles = list(dict.fromkeys(name.rpartition("/")[0] or name for name in names))
        argv = ["enpass-cli", "-json", "-vault", from_, "show", *titles]
        items = self.parse_json(self.output(argv, "Could not read from Enpass").strip(), "show")
        results: dict[str, str] = {}
        for item in items:
            title, label, password = item.get("title"), item.get("label"), item.get("password")
            if not title or not password or not str(password).strip():
                continue
            key = "/".join(part for part in (title, label) if part)
            if title in names or key in names:
                if key in results:
                    raise SecretsError(f"{key} is present more than once")
                results[key] = password
        return results

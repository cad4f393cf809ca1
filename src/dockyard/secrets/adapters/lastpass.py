"""LastPass through `lpass show --json`, logging in when `lpass status` says otherwise."""

from __future__ import annotations

from dockyard.errors import SecretsError
from dockyard.secrets.adapters.base import Adapter, prefixed


class LastPass(Adapter):
    product = "LastPass"
    cli = "lpass"

    def login(self, account: str | None) -> str | None:
        assert account is not None
        status = self.run(["lpass", "status", "--color", "never"]).stdout.strip()
        logged_in = status == f"Logged in as {account}."
        if not logged_in and not self.run(["lpass", "login", account]).ok:
            raise SecretsError("Failed to login to LastPass")
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        secrets = prefixed(names, from_)
        failure = f"Could not read {', '.join(secrets)} from LastPass"
        items = self.parse_json(self.output(["lpass", "show", *secrets, "--json"], failure), "")
        results = {item["fullname"]: item["password"] for item in items}
        missing = [secret for secret in secrets if secret not in results]
        if missing:
            raise SecretsError(f"Could not find {', '.join(missing)} in LastPass")
        return results

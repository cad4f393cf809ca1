"""Doppler through `doppler secrets get --json`, with `-p/-c` from `--from project/config`."""

from __future__ import annotations

import os

from dockyard.errors import SecretsError
from dockyard.secrets.adapters.base import Adapter, prefixed


class Doppler(Adapter):
    product = "Doppler"
    cli = "doppler"
    requires_account = False

    def login(self, account: str | None) -> str | None:
        logged_in = self.run(["doppler", "me", "--json"], quiet=True).ok
        if not logged_in and not self.run(["doppler", "login", "-y"]).ok:
            raise SecretsError("Failed to login to Doppler")
        return None

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        secrets = prefixed(names, from_)
        argv = ["doppler", "secrets", "get", *(s.split("/")[-1] for s in secrets), "--json"]
        if not os.environ.get("DOPPLER_TOKEN", "").startswith("dp.st"):
            project, config, *_ = [*(secrets[0].split("/") if secrets else []), "", ""]
            if not project or not config:
                raise SecretsError("Missing project or config from '--from=project/config' option")
            argv += ["-p", project, "-c", config]
        failure = f"Could not read {', '.join(secrets)} from Doppler"
        items = self.parse_json(self.output(argv, failure), "doppler secrets get")
        return {key: str(value.get("computed") or "") for key, value in items.items()}

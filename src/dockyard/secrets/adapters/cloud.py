"""AWS Secrets Manager through `aws`, Google Secret Manager through `gcloud`."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from dockyard.errors import SecretsError
from dockyard.secrets.adapters.base import Adapter, prefixed


class AwsSecretsManager(Adapter):
    product = "AWS"
    cli = "aws"
    requires_account = False  # --account is the AWS profile

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        secrets = prefixed(names, from_)
        argv = ["aws", "secretsmanager", "batch-get-secret-value", "--secret-id-list", *secrets]
        argv += [*(["--profile", account] if account else []), "--output", "json"]
        failure = f"Could not read {', '.join(secrets)} from AWS Secrets Manager"
        answer = self.parse_json(self.output(argv, failure), "batch-get-secret-value")
        if answer.get("Errors"):
            errors = [f"{error['SecretId']}: {error['Message']}" for error in answer["Errors"]]
            raise SecretsError(" ".join(errors))
        results: dict[str, str] = {}
        for secret in answer.get("SecretValues", []):
            results |= _flatten(secret["Name"], secret.get("SecretString", ""))
        return results


class AwsParameterStore(Adapter):
    """AWS Systems Manager Parameter Store (dockyard's own; Kamal has none): each name is a
    parameter (`--from /otto/prod` makes it `/otto/prod/NAME`), SecureString values decrypted;
    `--account` is the AWS profile. get-parameters takes 10 names a call."""

    product = "AWS"
    cli = "aws"
    requires_account = False
    batch = 10

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        secrets = prefixed(names, from_)
        results: dict[str, str] = {}
        for start in range(0, len(secrets), self.batch):
            results |= self._get(secrets[start : start + self.batch], account)
        return results

    def _get(self, names: list[str], profile: str | None) -> dict[str, str]:
        argv = ["aws", "ssm", "get-parameters", "--names", *names, "--with-decryption"]
        argv += [*(["--profile", profile] if profile else []), "--output", "json"]
        failure = f"Could not read {', '.join(names)} from AWS Systems Manager Parameter Store"
        answer = self.parse_json(self.output(argv, failure), "ssm get-parameters")
        missing = answer.get("InvalidParameters") or []
        if missing:
            store = "AWS Systems Manager Parameter Store"
            raise SecretsError(f"{', '.join(missing)}: no such parameter in {store} (check the "
                               "name, --from and the region)")  # fmt: skip
        return {p["Name"]: p["Value"] for p in answer.get("Parameters", [])}


def _flatten(name: str, text: str) -> dict[str, str]:
    """A JSON object secret becomes `name/key` entries; any other secret stays whole."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return {name: text}
    if not isinstance(parsed, dict):
        return {name: text}
    return {f"{name}/{key}": _text(value) for key, value in parsed.items()}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class GcpSecretManager(Adapter):
    """`--account` is `user[|service-account[,delegate…]]`; `default` is gcloud's own."""

    product = "gcloud"
    cli = "gcloud"

    def login(self, account: str | None) -> str | None:
        if not self._logged_in():
            self.run(["gcloud", "auth", "login"])
            if not self._logged_in():
                raise SecretsError("could not login to gcloud")
        return None

    def _logged_in(self) -> bool:
        done = self.run(["gcloud", "auth", "list", "--format=json"])
        return done.ok and bool(self.parse_json(done.stdout, "gcloud auth list"))

    def fetch_secrets(
        self, names: list[str], *, account: str | None, from_: str | None, session: str | None
    ) -> dict[str, str]:
        user, _, impersonate = (account or "default").partition("|")
        results = {}
        for secret in prefixed(names, from_):
            parts = secret.split("/")
            if len(parts) == 1:
                parts.insert(0, "default")
            project, name, version = parts[0], parts[1], (parts[2:3] or ["latest"])[0]
            argv = ["gcloud", "secrets", "versions", "access", version, f"--secret={name}"]
            argv += [f"--project={project}"] if project != "default" else []
            argv += [f"--account={user}"] if user != "default" else []
            argv += [f"--impersonate-service-account={impersonate}"] if impersonate else []
            failure = f"Could not read {project}/{name} from Google Secret Manager"
            answer = self.parse_json(self.output([*argv, "--format=json"], failure), name)
            results[f"{project}/{name}"] = _decode(answer, f"{project}/{name}")
        return results


def _decode(answer: Any, name: str) -> str:
    try:
        return base64.b64decode(answer["payload"]["data"]).decode()
    except (KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise SecretsError(f"Google Secret Manager gave no readable payload for {name}") from None

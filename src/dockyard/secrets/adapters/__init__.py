"""Vault adapters, by Kamal's `--adapter` names; each drives its vendor's CLI with argv lists."""

from __future__ import annotations

import importlib

from dockyard.errors import UsageError
from dockyard.secrets.adapters.base import Adapter

# --adapter name -> module:class. Kamal also accepts the camelized class names' snake forms.
ADAPTERS = {
    "1password": "onepassword:OnePassword",
    "bitwarden": "bitwarden:Bitwarden",
    "bitwarden-sm": "bitwarden:BitwardenSecretsManager",
    "lastpass": "lastpass:LastPass",
    "aws_secrets_manager": "cloud:AwsSecretsManager",
    "aws_parameter_store": "cloud:AwsParameterStore",  # dockyard's own
    "gcp": "cloud:GcpSecretManager",
    "doppler": "doppler:Doppler",
    "enpass": "offline:Enpass",
    "passbolt": "passbolt:Passbolt",
    "test": "base:TestAdapter",
}
_ALIASES = {
    "one_password": "1password",
    "last_pass": "lastpass",
    "gcp_secret_manager": "gcp",
    "bitwarden_secrets_manager": "bitwarden-sm",
    "aws_ssm": "aws_parameter_store",
}


def lookup(name: str) -> Adapter:
    key = name.lower()
    key = _ALIASES.get(key, key)
    if key not in ADAPTERS:
        known = ", ".join(ADAPTERS)
        raise UsageError(f"Unknown secrets adapter: {name}; use one of {known}")
    module_name, class_name = ADAPTERS[key].split(":")
    module = importlib.import_module(f"dockyard.secrets.adapters.{module_name}")
    adapter = getattr(module, class_name)()
    assert isinstance(adapter, Adapter)
    return adapter

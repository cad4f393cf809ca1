"""Secrets: Kamal's `.kamal/secrets*` files, resolved lazily, and vault adapters."""

from dockyard.secrets.store import Secrets, load_secrets, secrets_filenames

__all__ = ["Secrets", "load_secrets", "secrets_filenames"]

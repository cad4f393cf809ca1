"""Check a loaded config against the schema, as Kamal 2's validator does: validate(doc).

This module knows every special kind of key (schema.py lists them) and hands them to the
Validator; the checks themselves live in validate_special.py and validate_roles.py.
"""

from __future__ import annotations

from typing import Any

from dockyard.config import validate_roles as roles
from dockyard.config import validate_special as special
from dockyard.config.schema import SECTIONS
from dockyard.config.validator import KindCheck, Validator, describe
from dockyard.config.yamlsource import Doc

KINDS: dict[str, KindCheck] = {
    "hosts": special.hosts, "roles": roles.roles, "env": special.env,
    "registry": special.registry, "credential": special.credential, "proxy": special.proxy,
    "ssl": special.ssl, "arch": special.arch, "hooks_output": special.hooks_output,
    "ssh_config": special.ssh_config, "paths": special.paths, "accessories": roles.accessories,
    "aliases": special.aliases, "backups": special.backups, "cron": special.cron,
    "swarm_roles": special.swarm_roles,
}  # fmt: skip

# Kamal checks the top level first (unknown keys, then each key's type, sections only by shape),
# then each section in the order it builds them. Following it picks the same first error.
SECTION_ORDER = (
    "servers", "registry", "accessories", "aliases", "boot", "builder", "env", "logging",
    "proxy", "ssh", "sshkit", "output", "x-dockyard",
)  # fmt: skip


def validator_for(doc: Doc) -> Validator:
    """A Validator that knows every kind of key and every section's rules."""
    return Validator(doc, kinds=KINDS, after_section=special.after_section)


def validate(doc: Doc) -> dict[Any, Any]:
    """Validate the whole document; returns the top-level map."""
    checker = validator_for(doc)
    if not isinstance(doc.value, dict):
        checker.fail((), f"the config should be a map of settings, not {describe(doc.value)}")
    if not doc.value:
        checker.fail(("service",), "the config is empty; `dockyard init` writes a starting point")
    root = checker.section(doc.value, "root", (), later=SECTION_ORDER)
    roles.labels(checker, root.get("labels"), ())
    for key in SECTION_ORDER:
        if key in root:
            checker.key(root[key], SECTIONS["root"][key], (key,))
        elif key == "registry" and not _ssh_delivery(root):
            special.registry(checker, {}, (key,))  # Kamal checks these even when missing
        elif key == "builder":
            special.after_section(checker, key, {}, (key,))
    return root


def _ssh_delivery(root: dict[Any, Any]) -> bool:
    """Images delivered over SSH (x-dockyard.delivery: ssh) need no registry section."""
    section = root.get("x-dockyard")
    return isinstance(section, dict) and section.get("delivery") == "ssh"

"""The schema of config/deploy.yml: one entry per key, used by validation and by `dockyard docs`.

Each section maps key -> Key(kind, description, default). Kinds follow Kamal 2's validator, which
infers types from its documentation examples:

    string     a string; numbers, booleans and :symbols are accepted too (Kamal's "stringish")
    text       a real string (where Kamal's check lets a number through and then fails on it)
    integer    a whole number
    boolean    true or false
    list       a list of strings
    map        a map of anything (docker options, build args)
    strmap     a map of strings (labels)
    section    a nested map validated by SECTIONS[key.section]
    and special kinds checked by validate.py: hosts, arch, ssl, hooks_output, ssh_config, paths,
    proxy, env, roles, accessories, aliases, registry, enum
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.config.schema_sections import APP_SECTIONS, EXTRA_SECTIONS


@dataclass(frozen=True)
class Key:
    kind: str
    doc: str
    default: str = ""
    section: str = ""
    choices: tuple[str, ...] = ()
    since: str = ""


# Sections whose entries are written in schema_sections.py as compact tuples.
def _expand(raw: dict[str, dict[str, tuple[str, ...]]]) -> dict[str, dict[str, Key]]:
    sections: dict[str, dict[str, Key]] = {}
    for name, keys in raw.items():
        sections[name] = {}
        for key, spec in keys.items():
            kind, doc, default, *rest = (*spec, "", "")[:5]
            extra = rest[0] if rest else ""
            since = rest[1] if len(rest) > 1 else ""
            if kind == "enum":
                entry = Key(kind, doc, default, choices=tuple(extra.split("|")), since=since)
            else:
                entry = Key(kind, doc, default, section=extra, since=since)
            sections[name][key] = entry
    return sections


SECTIONS: dict[str, dict[str, Key]] = _expand({**APP_SECTIONS, **EXTRA_SECTIONS})

# Top-level keys Kamal 1 had, with how to move them to Kamal 2 (Kamal itself only says "unknown").
KAMAL1_KEYS = {
    "traefik": "Traefik is gone since Kamal 2; move routing settings under `proxy:` "
    "(host, app_port, ssl; see `dockyard docs proxy`)",
    "healthcheck": "the top-level healthcheck is gone since Kamal 2; move `path` and `interval` "
    "to `proxy/healthcheck:` (see `dockyard docs proxy`)",
    "stop_wait_time": "replaced by `drain_timeout:` in Kamal 2",
}

SECTION_ORDER = [
    "root", "servers", "role", "env", "registry", "builder", "proxy", "accessory", "ssh",
    "sshkit", "boot", "logging", "aliases", "output", "x-dockyard",
]  # fmt: skip

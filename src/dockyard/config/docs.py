"""`dockyard docs [SECTION]`: every key with its type, default and meaning, from the schema."""

from __future__ import annotations

import textwrap

from dockyard.config.schema import SECTIONS, Key

# Kinds whose value maps names (of accessories...) to a section: the path shows the name.
NAMED_SECTIONS = {"backups": "<accessory>", "cron": "<job>", "swarm_roles": "<role>"}


def schema_tree(name: str, path: str) -> list[tuple[str, str]]:
    """A schema section with its YAML path, then every section under it, depth first: what a
    docs section shows so that no nested key can be left out."""
    found = [(name, path)]
    for key, entry in SECTIONS[name].items():
        if entry.section and (entry.kind == "section" or entry.kind in NAMED_SECTIONS):
            named = f"/{NAMED_SECTIONS[entry.kind]}" if entry.kind in NAMED_SECTIONS else ""
            found += schema_tree(entry.section, f"{path}/{key}{named}")
    return found


# docs section -> (heading, intro, [(schema section, YAML path shown)])
DOC_SECTIONS: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "configuration": ("Top-level keys", "config/deploy.yml, deep-merged with "
                      "config/deploy.<destination>.yml under -d. Keys starting with x- are "
                      "ignored (use them for YAML anchors), except x-dockyard.",
                      [("root", "")]),
    "servers": ("Servers", "servers: is a list of hosts (the `web` role), a list whose entries may "
                "carry tags (`- 1.2.3.4: [tag1, tag2]`), or a map of role name to a host list or "
                "to role settings (see `dockyard docs role`).", []),
    "role": ("Role settings", "Under servers/<role>:", [("role", "servers/<role>")]),
    "env": ("Environment", "env: is either a map of clear values, or a map with `clear:` (values), "
            "`secret:` (secret names; `NAME:SECRET` fills NAME from SECRET) and, at the root only, "
            "`tags:` (tag name -> env added on hosts with that tag). Per host the order is root "
            "env, role env, then tag envs. Secrets come from .kamal/secrets-common and "
            ".kamal/secrets (or .kamal/secrets.<destination>).", []),
    "registry": ("Registry", "", [("registry", "registry")]),
    "builder": ("Builder", "", [("builder", "builder"), ("pack", "builder/pack"),
                                ("cache", "builder/cache")]),
    "proxy": ("Proxy", "At the root, and per role (true, false or a map merged over the root). "
              "The primary role is proxied unless it says `proxy: false`.",
              [("proxy", "proxy"), ("healthcheck", "proxy/healthcheck"),
               ("buffering", "proxy/buffering"), ("proxy_logging", "proxy/logging"),
               ("proxy_run", "proxy/run")]),
    "accessory": ("Accessories", "Under accessories/<name>:",
                  [("accessory", "accessories/<name>")]),
    "ssh": ("SSH", "", [("ssh", "ssh")]),
    "sshkit": ("Connection pool", "", [("sshkit", "sshkit")]),
    "boot": ("Boot", "", [("boot", "boot")]),
    "logging": ("Logging", "At the root and per role.", [("logging", "logging")]),
    "alias": ("Aliases", "aliases: maps a name (lowercase letters, digits, - and _; not a "
              "built-in command) to the command line it stands for, e.g. "
              "`console: app exec -i --reuse \"bin/rails console\"`. Extra arguments are "
              "appended.", []),
    "output": ("Output", "", [("output", "output"), ("otel", "output/otel"),
                              ("output_file", "output/file")]),
    "x-dockyard": ("dockyard settings", "Kamal ignores this section; dockyard validates it.",
                   schema_tree("x-dockyard", "x-dockyard")),
}  # fmt: skip

SECTION_NAMES = tuple(DOC_SECTIONS)


def doc_section_of(schema_section: str) -> str:
    """The `dockyard docs` section that documents a schema section (healthcheck -> proxy)."""
    for name, (_, _, parts) in DOC_SECTIONS.items():
        if any(part == schema_section for part, _ in parts):
            return name
    return "configuration"


def render_docs(section: str | None = None) -> str:
    names = [section] if section else list(DOC_SECTIONS)
    return "\n\n".join(render_section(name) for name in names)


def render_section(name: str) -> str:
    heading, intro, parts = DOC_SECTIONS[name]
    lines = [f"# {heading} (dockyard docs {name})"]
    if intro:
        lines += textwrap.wrap(intro, 96)
    for schema_name, path in parts:
        lines.append("")
        lines.append(f"{path}:" if path else "top level:")
        for key, entry in SECTIONS[schema_name].items():
            lines += render_key(key, entry)
    return "\n".join(lines)


def render_key(key: str, entry: Key) -> list[str]:
    facts = [KIND_NAMES.get(entry.kind, entry.kind)]
    if entry.choices:
        facts = [" | ".join(entry.choices)]
    if entry.default:
        facts.append(f"default {entry.default}")
    if entry.since:
        facts.append(f"since {entry.since}")
    head = f"  {key} ({', '.join(facts)})"
    return [
        head,
        *textwrap.wrap(entry.doc, 92, initial_indent="      ", subsequent_indent="      "),
    ]


KIND_NAMES = {
    "string": "string",
    "text": "string",
    "integer": "integer",
    "boolean": "true/false",
    "list": "list of strings",
    "map": "map",
    "strmap": "map of strings",
    "section": "map, see below",
    "hosts": "list of hosts, optionally `host: tags`",
    "roles": "list or map of roles, see `dockyard docs servers`",
    "env": "map, see `dockyard docs env`",
    "registry": "map, see `dockyard docs registry`",
    "credential": "string or [SECRET_NAME]",
    "proxy": "true/false or map, see `dockyard docs proxy`",
    "ssl": "true/false or map",
    "arch": "string or list",
    "hooks_output": "quiet/verbose or map of hook to level",
    "ssh_config": "true/false, path or list of paths",
    "paths": "list of `local:remote[:options]` or maps",
    "accessories": "map of name to settings, see `dockyard docs accessory`",
    "aliases": "map of name to command, see `dockyard docs alias`",
    "backups": "map of accessory name to settings, see below",
    "cron": "map of job name to settings, see below",
    "swarm_roles": "map of role name to settings, see below",
}

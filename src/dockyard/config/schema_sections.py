"""Every key of every section: (kind, description, default[, section-or-choices[, since]]).

Descriptions are dockyard's own words. Kinds are explained in schema.py.
"""

from __future__ import annotations

Spec = tuple[str, ...]

ROOT: dict[str, Spec] = {
    "service": ("string", "Name of the app; prefixes container names and sets the service label. "
                "Letters, digits, - and _ only. Required.", ""),
    "image": ("string", "Image repository to build and push, without registry or tag. Required "
              "unless the registry is local (then it defaults to the service).", ""),
    "labels": ("strmap", "Extra labels for the app containers.", ""),
    "volumes": ("list", "Volumes for the app containers, `host:container[:options]`.", ""),
    "registry": ("registry", "Where the image is pushed and pulled from.", "Docker Hub"),
    "servers": ("roles", "Hosts to deploy to: a list, a list with tags, or a map of roles. "
                "Required unless only accessories are defined.", ""),
    "env": ("env", "Environment of the app containers: clear values, secret names, tags.", ""),
    "asset_path": ("string", "Directory of fingerprinted assets in the image, `path[:options]` "
                   "(mount options such as ro; z is added): the old and new versions of a proxied "
                   "role both serve both versions' files during a deploy, and a replaced "
                   "version's files stay for at least an hour (docs/assets.md).", ""),
    "hooks_path": ("string", "Directory of local hook scripts.", ".kamal/hooks"),
    "hooks_output": ("hooks_output", "Show hook output: quiet or verbose, for all hooks or per "
                     "hook (a map of hook name to level).", ""),
    "secrets_path": ("string", "Base path of the dotenv secrets files.", ".kamal/secrets"),
    "error_pages_path": ("string", "Local directory of 4xx.html/5xx.html pages the proxy serves "
                         "on errors.", ""),
    "require_destination": ("boolean", "Refuse to run without -d/--destination.", "false"),
    "primary_role": ("string", "Role whose first host is the primary host; proxied by "
                     "default.", "web"),
    "allow_empty_roles": ("boolean", "Allow roles with no hosts.", "false"),
    "retain_containers": ("integer", "Stopped containers kept for rollback per role on each "
                          "host, with their images (at least 1).", "5"),
    "minimum_version": ("string", "Oldest Kamal version this config needs.", ""),
    "readiness_delay": ("integer", "Seconds a container without proxy or healthcheck must keep "
                        "running before it counts as ready.", "7"),
    "deploy_timeout": ("integer", "Seconds a new container has to become healthy.", "30"),
    "drain_timeout": ("integer", "Seconds old containers get to finish in-flight requests.",
                      "30"),
    "stop_timeout": ("integer", "Seconds `stop` waits before killing a container.",
                     "drain_timeout unproxied, 10 proxied", "", "Kamal 2.12"),
    "run_directory": ("string", "Accepted for compatibility and ignored; the remote state "
                      "directory is always .kamal (as in Kamal).", ".kamal"),
    "ssh": ("section", "How to connect to hosts.", "", "ssh"),
    "builder": ("section", "How the image is built. `arch` is required.", "", "builder"),
    "accessories": ("accessories", "Long-lived companion containers (databases, caches).", ""),
    "proxy": ("proxy", "How the proxy routes to the primary role (and others that ask).", "",
              "proxy"),
    "sshkit": ("section", "Connection pool settings.", "", "sshkit"),
    "boot": ("section", "How many hosts boot at a time.", "", "boot"),
    "logging": ("section", "Container log driver and options.", "", "logging"),
    "aliases": ("aliases", "Shortcuts: `name: command args` runs as `dockyard name`.", ""),
    "output": ("section", "Where deploy logs are also sent.", "", "output", "Kamal 2.12"),
    "x-dockyard": ("section", "dockyard's own settings; Kamal ignores x- keys.", "",
                   "x-dockyard", "dockyard"),
}  # fmt: skip

ROLE: dict[str, Spec] = {
    "hosts": ("hosts", "Hosts of the role; each may carry tags (`- host: tag` or "
              "`- host: [a, b]`).", ""),
    "cmd": ("string", "Command run in the container instead of the image's default.", ""),
    "options": ("map", "Extra `docker run --<name> <value>` options.", ""),
    "logging": ("section", "Log driver and options, merged over the root logging.", "",
                "logging"),
    "proxy": ("proxy", "true, false, or proxy settings merged over the root proxy.",
              "true for the primary role", "proxy"),
    "labels": ("strmap", "Extra labels for this role's containers.", ""),
    "env": ("env", "Environment for this role, merged over the root env (no tags).", ""),
    "asset_path": ("string", "Asset path for this role (see the root asset_path).", ""),
    "stop_timeout": ("integer", "Seconds `stop` waits for this role's containers.", "", "",
                     "Kamal 2.12"),
}  # fmt: skip

REGISTRY: dict[str, Spec] = {
    "server": ("string", "Registry host[:port]; `localhost:PORT` runs a local registry reached "
               "over SSH tunnels (no credentials).", "Docker Hub"),
    "username": ("credential", "User name, or a one-item list naming a secret.", ""),
    "password": ("credential", "Password, or a one-item list naming a secret.", ""),
}  # fmt: skip

BUILDER: dict[str, Spec] = {
    "arch": ("arch", "amd64 and/or arm64 (one value or a list). Required.", ""),
    "remote": ("string", "Remote builder, e.g. ssh://docker@builder, for other arches.", ""),
    "local": ("boolean", "Build the local arch locally; false always uses the remote.", "true"),
    "pack": ("section", "Build with Cloud Native Buildpacks.", "", "pack"),
    "cache": ("section", "Build cache.", "", "cache"),
    "context": ("string", "Build context; unset means a clean git clone of HEAD.", ""),
    "dockerfile": ("string", "Dockerfile path.", "Dockerfile"),
    "target": ("string", "Build stage to build.", ""),
    "args": ("map", "Build arguments.", ""),
    "secrets": ("list", "Secret names passed to the build as --secret id=NAME.", ""),
    "ssh": ("string", "SSH agent socket or keys for the build.", ""),
    "driver": ("string", "buildx driver; `cloud org/name` uses Docker Build Cloud.",
               "docker-container"),
    "provenance": ("string", "Provenance attestation setting, or true/false.", ""),
    "sbom": ("boolean", "Generate an SBOM.", ""),
}  # fmt: skip

PACK: dict[str, Spec] = {
    "builder": ("string", "Buildpack builder image.", ""),
    "buildpacks": ("list", "Buildpacks to apply.", ""),
}
CACHE: dict[str, Spec] = {
    "type": ("string", "gha or registry.", ""),
    "options": ("string", "Cache options, e.g. mode=max.", ""),
    "image": ("string", "Cache image (registry cache only).", ""),
}

SSH: dict[str, Spec] = {
    "user": ("string", "SSH user.", "root"),
    "port": ("string", "SSH port.", "22"),
    "proxy": ("text", "Jump host, `host` or `user@host`.", ""),
    "proxy_command": ("string", "ProxyCommand to reach hosts.", ""),
    "log_level": ("string", "SSH library log level.", "fatal"),
    "keys_only": ("boolean", "Use only the given keys, not the agent's other identities.", ""),
    "keys": ("list", "Private key files.", ""),
    "key_data": ("list", "Secret names holding private keys.", ""),
    "config": ("ssh_config", "Read OpenSSH config: true, false, a path or a list of paths.",
               "true"),
    "forward_agent": ("boolean", "Forward the SSH agent.", "", "", "Kamal 2.12"),
}  # fmt: skip

SSHKIT: dict[str, Spec] = {
    "max_concurrent_starts": ("integer", "Connections opened at once.", "30"),
    "pool_idle_timeout": ("integer", "Seconds an idle connection is kept.", "900"),
    "dns_retries": ("integer", "Retries of failed DNS lookups.", "3"),
}
BOOT: dict[str, Spec] = {
    "limit": ("string", "Hosts booted at a time: a number or a percentage like 25%.", "all"),
    "wait": ("integer", "Seconds between boot groups.", ""),
    "parallel_roles": ("boolean", "Boot the roles of one host in parallel.", "false"),
}
LOGGING: dict[str, Spec] = {
    "driver": ("text", "Log driver (--log-driver).", ""),
    "options": ("strmap", "Log driver options (--log-opt).", "max-size: 10m"),
}
OUTPUT: dict[str, Spec] = {
    "otel": ("section", "Send the log lines of each command that changes servers (deploy, "
             "setup, rollback, app boot...) to an OpenTelemetry collector over OTLP HTTP.", "",
             "otel", "Kamal 2.12"),
    "file": ("section", "Write the log lines of each command that changes servers to a file of "
             "its own on this machine.", "", "output_file", "Kamal 2.12"),
}  # fmt: skip
OTEL: dict[str, Spec] = {
    "endpoint": ("text", "Base URL of the OTLP HTTP receiver; logs go to <endpoint>/v1/logs as "
                 "protobuf. Required.", "", "", "Kamal 2.12"),
}  # fmt: skip
OUTPUT_FILE: dict[str, Spec] = {
    "path": ("text", "Directory of the log files, one per command: "
             "<time>_[<destination>_]<command>[_<subcommand>].log. Required.", "", "",
             "Kamal 2.12"),
}  # fmt: skip

APP_SECTIONS: dict[str, dict[str, Spec]] = {
    "root": ROOT, "role": ROLE, "registry": REGISTRY, "builder": BUILDER, "pack": PACK,
    "cache": CACHE, "ssh": SSH, "sshkit": SSHKIT, "boot": BOOT, "logging": LOGGING,
    "output": OUTPUT, "otel": OTEL, "output_file": OUTPUT_FILE,
}  # fmt: skip

from dockyard.config.schema_backups import BACKUP_SECTIONS  # noqa: E402
from dockyard.config.schema_cron import CRON_SECTIONS  # noqa: E402
from dockyard.config.schema_proxy import PROXY_SECTIONS  # noqa: E402
from dockyard.config.schema_swarm import SWARM_SECTIONS  # noqa: E402

EXTRA_SECTIONS = {**PROXY_SECTIONS, **BACKUP_SECTIONS, **CRON_SECTIONS, **SWARM_SECTIONS}

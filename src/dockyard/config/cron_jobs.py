"""Scheduled jobs, from `x-dockyard: cron: <job>: {...}` (pure).

    x-dockyard:
      cron:
        nightly:
          schedule: "0 3 * * *"      # five fields, six with seconds first, @every 30s, @daily
          command: bin/rails db:prune
          role: web                  # default: the primary role
          host: 10.0.0.1             # default: the role's first host
          concurrency: forbid        # forbid | allow | replace
          timeout: 30m               # s, m or h; default none
          timezone: Europe/Paris     # default UTC
          catch_up: 10m              # run the latest missed tick on recovery if this recent

Every job of an app runs on one host (one scheduler per app): docs/cron.md says why and what
the guarantees rest on. Kamal ignores `x-` keys, so the config stays Kamal's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dockyard.config.cron import CronSchedule, parse_cron
from dockyard.config.schema_cron import CRON_JOB
from dockyard.config.validator import describe
from dockyard.errors import ConfigError

KEYS = tuple(CRON_JOB)
CONCURRENCY = tuple(CRON_JOB["concurrency"][3].split("|"))
DEFAULT_CONCURRENCY = CRON_JOB["concurrency"][2]
DEFAULT_TIMEZONE = CRON_JOB["timezone"][2]
_NAME = re.compile(r"\A[a-z0-9][a-z0-9_-]{0,39}\Z")
_DURATION = re.compile(r"\A(\d+)([smh])\Z")
_UNITS = {"s": 1, "m": 60, "h": 3600}
_ZONE = re.compile(r"\A[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*\Z")
PATH = "x-dockyard/cron"


@dataclass(frozen=True)
class CronJob:
    name: str
    schedule: CronSchedule
    command: str
    role: str
    host: str
    concurrency: str = DEFAULT_CONCURRENCY  # forbid | allow | replace
    timeout: int | None = None  # seconds
    timezone: str = DEFAULT_TIMEZONE
    catch_up: int | None = None  # seconds; None: missed ticks are skipped


def parse_cron_jobs(
    section: Any, roles: Mapping[str, tuple[str, ...]], primary_role: str
) -> dict[str, CronJob]:
    """The `x-dockyard/cron` section as job name -> CronJob, given each role's hosts;
    ConfigError with the key path (x-dockyard/cron/<job>/<key>) for anything wrong."""
    section = {} if section is None else section
    if not isinstance(section, Mapping):
        raise ConfigError("should be a map of job names to jobs", key=PATH)
    jobs = {}
    for name, raw in section.items():
        name = str(name)
        if not _NAME.match(name):
            raise ConfigError("a job name is 1-40 of a-z, 0-9, _ and -, starting with a letter "
                              "or digit", key=f"{PATH}/{name}")  # fmt: skip
        jobs[name] = cron_job(name, raw, roles, primary_role)
    hosts = {job.host for job in jobs.values()}
    if len(hosts) > 1:
        raise ConfigError(f"every job of an app runs on one host (one scheduler per app); "
                          f"these name {', '.join(sorted(hosts))}", key=PATH)  # fmt: skip
    return jobs


def cron_job(
    name: str, raw: Any, roles: Mapping[str, tuple[str, ...]], primary_role: str
) -> CronJob:
    path = f"{PATH}/{name}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"should be a map ({', '.join(KEYS)})", key=path)
    unknown = [str(k) for k in raw if k not in KEYS]
    if unknown:
        raise ConfigError(f"unknown key: {unknown[0]} (known: {', '.join(KEYS)})", key=path)
    role = _role(raw.get("role", primary_role), roles, f"{path}/role")
    concurrency = raw.get("concurrency", DEFAULT_CONCURRENCY)
    if concurrency not in CONCURRENCY:
        raise ConfigError(f"should be one of {', '.join(CONCURRENCY)}", key=f"{path}/concurrency")
    return CronJob(
        name=name,
        schedule=_schedule(raw.get("schedule"), f"{path}/schedule"),
        command=_command(raw.get("command"), f"{path}/command"),
        role=role,
        host=_host(raw.get("host"), roles[role], f"{path}/host"),
        concurrency=str(concurrency),
        timeout=_duration(raw.get("timeout"), f"{path}/timeout"),
        timezone=_timezone(raw.get("timezone", DEFAULT_TIMEZONE), f"{path}/timezone"),
        catch_up=_duration(raw.get("catch_up"), f"{path}/catch_up"),
    )


def _schedule(value: Any, path: str) -> CronSchedule:
    wanted = 'a cron schedule in quotes, like "*/5 * * * *" or "@every 30s"'
    if value is None:
        raise ConfigError(f"is required: {wanted}", key=path)
    if not isinstance(value, str):
        raise ConfigError(f"should be {wanted}, not {describe(value)}", key=path)
    try:
        return parse_cron(value, sub_minute=True)
    except ValueError as error:
        raise ConfigError(str(error), key=path) from None


def _command(value: Any, path: str) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool) or not str(value):
        raise ConfigError("is required: the command to run, like bin/rails db:prune", key=path)
    if "\n" in str(value) or "\0" in str(value):
        raise ConfigError("should be one line", key=path)
    return str(value)


def _role(value: Any, roles: Mapping[str, tuple[str, ...]], path: str) -> str:
    name = str(value)
    if name not in roles:
        known = ", ".join(roles) or "none"
        raise ConfigError(f"no role named {name} (roles: {known})", key=path)
    if not roles[name]:
        raise ConfigError(f"role {name} has no hosts to run the job on", key=path)
    return name


def _host(value: Any, hosts: tuple[str, ...], path: str) -> str:
    if value is None:
        return hosts[0]
    if str(value) not in hosts:
        raise ConfigError(f"should be one of the role's hosts: {', '.join(hosts)}", key=path)
    return str(value)


def _duration(value: Any, path: str) -> int | None:
    if value is None:
        return None
    match = _DURATION.match(str(value))
    if not match or int(match[1]) == 0:
        raise ConfigError("should be a positive duration like 90s, 30m or 2h", key=path)
    return int(match[1]) * _UNITS[match[2]]


def _timezone(value: Any, path: str) -> str:
    name = str(value)
    try:
        if not _ZONE.match(name):
            raise ValueError(name)
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ConfigError(f"{name!r} is not a time zone: use an IANA name like UTC or "
                          "Europe/Paris", key=path) from None  # fmt: skip
    return name


def role_hosts(root: Mapping[str, Any]) -> dict[str, tuple[str, ...]] | None:
    """Each role's host names from the raw config, for validation; None when `servers` is
    not yet in a shape to read (its own check reports that)."""
    servers = root.get("servers")
    if isinstance(servers, list):
        servers = {"web": servers}
    if not isinstance(servers, Mapping):
        return None
    found = {}
    for name, raw in servers.items():
        hosts = raw.get("hosts") if isinstance(raw, Mapping) else raw
        if hosts is not None and not isinstance(hosts, list):
            return None
        found[str(name)] = tuple(
            str(next(iter(h))) if isinstance(h, Mapping) else str(h) for h in hosts or []
        )
    return found

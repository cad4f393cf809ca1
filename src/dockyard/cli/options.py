"""Kamal's global options, shared by every command that talks to servers."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from dockyard.workflows import logs
from dockyard.workflows.logs import LogQuery

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class GlobalOptions:
    verbose: bool = False
    quiet: bool = False
    version: str | None = None
    primary: bool = False
    hosts: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    config_file: str = "config/deploy.yml"
    destination: str | None = None
    skip_hooks: bool = False
    lock_wait: bool = False
    lock_wait_timeout: float = 900
    lock_wait_interval: float = 15

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> GlobalOptions:
        names = cls.__dataclass_fields__
        picked = {k: kwargs.pop(k) for k in list(kwargs) if k in names}
        for key in ("hosts", "roles"):
            raw = picked.get(key) or ""
            picked[key] = tuple(p.strip() for p in raw.split(",") if p.strip())
        return cls(**picked)


_OPTIONS = [
    click.option("-v", "--verbose", is_flag=True, help="Show each command (secrets redacted)."),
    click.option("-q", "--quiet", is_flag=True, help="Only errors."),
    click.option("--version", "version", default=None, help="Run against this app version."),
    click.option("-p", "--primary", is_flag=True, help="Only the primary host."),
    click.option("-h", "--hosts", default=None, help="Only these hosts (comma-separated, * ok)."),
    click.option("-r", "--roles", default=None, help="Only these roles (comma-separated, * ok)."),
    click.option("-c", "--config-file", default="config/deploy.yml", show_default=True),
    click.option("-d", "--destination", default=None, help="Also load deploy.<dest>.yml."),
    click.option("-H", "--skip-hooks", is_flag=True, help="Don't run hooks."),
    click.option("--lock-wait", is_flag=True, help="Wait for the deploy lock instead of failing."),
    click.option("--lock-wait-timeout", type=float, default=900, show_default=True),
    click.option("--lock-wait-interval", type=float, default=15, show_default=True),
]


def global_options(command: F) -> F:
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


# deploy, redeploy, rollback, setup, app boot and the accessory commands that route (plan/routes.py)
TAKE_OVER_ROUTES = click.option(
    "--take-over-routes",
    is_flag=True,
    help="Take proxy hosts (and path prefixes) that another app's route serves on the same "
    "proxy; without it, that is refused before anything changes.",
)


def grep_words(text: str | None) -> tuple[str, ...]:
    """`--grep-options` as words, split as a shell would (Kamal hands it to grep as is)."""
    try:
        return tuple(shlex.split(text or ""))
    except ValueError as error:  # an unclosed quote
        raise click.BadParameter(str(error), param_hint="--grep-options") from None


def log_options(*, follow: str, grep_options: bool = True) -> Callable[[F], F]:
    """Kamal's options of `app logs`, `accessory logs` and `proxy logs` (the proxy's have no
    --grep-options); log_query() reads them back."""
    options = [
        click.option("-s", "--since", default=None,
                     help="Lines since a time (2026-01-02T13:23:37Z) or a span ago (42m)."),
        click.option("-n", "--lines", type=int, default=None,
                     help="Lines from each container [default: 100, 10 with -f, all with -s "
                     "or -g]."),
        click.option("-g", "--grep", "pattern", default=None, help="Only the lines grep matches."),
        *([click.option("--grep-options", default=None,
                        help="More grep options, as one string ('-i -C 2').")]
          if grep_options else []),
        click.option("-f", "--follow", is_flag=True, help=follow),
        click.option("-T", "--skip-timestamps", is_flag=True,
                     help="Without the engine's timestamps."),
    ]  # fmt: skip

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def log_query(kwargs: dict[str, Any]) -> LogQuery:
    """The options log_options added, taken out of a command's keyword arguments (what stays
    is for load())."""
    return logs.query(
        lines=kwargs.pop("lines"),
        since=kwargs.pop("since"),
        timestamps=not kwargs.pop("skip_timestamps"),
        grep=kwargs.pop("pattern"),
        grep_options=grep_words(kwargs.pop("grep_options", None)),
        follow=kwargs.pop("follow"),
    )

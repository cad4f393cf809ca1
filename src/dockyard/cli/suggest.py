"""A mistyped command or option gets the nearest match, in one line, whatever click's version:

    No such command 'deploi'. Did you mean 'deploy'?
    No such option '--rol'. Did you mean '--roles'?

Every group of the CLI is a SuggestingGroup (the root adds the config's aliases to the names it
suggests); the root turns click's own unknown-option errors into this form.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import click


def nearest(word: str, choices: Iterable[str]) -> list[str]:
    """The choices `word` most likely meant: close spellings first, then those it begins."""
    names = list(dict.fromkeys(choices))
    close = difflib.get_close_matches(word, names, n=3, cutoff=0.6)
    begun = [name for name in names if len(word) >= 2 and name.startswith(word)]
    return list(dict.fromkeys([*close, *begun]))[:3]


def did_you_mean(found: list[str]) -> str:
    """` Did you mean 'x'?`, ` Did you mean one of 'x', 'y'?`, or nothing."""
    if not found:
        return ""
    quoted = ", ".join(repr(name) for name in found)
    return f" Did you mean {'one of ' if len(found) > 1 else ''}{quoted}?"


def no_such_command(name: str, choices: Iterable[str], ctx: click.Context) -> click.UsageError:
    return click.UsageError(f"No such command {name!r}.{did_you_mean(nearest(name, choices))}", ctx)


def no_such_option(error: click.NoSuchOption) -> click.NoSuchOption:
    """click's error for an unknown option, with the nearest options of its command."""
    command = error.ctx.command if error.ctx is not None else None
    if command is None:
        found = list(error.possibilities or [])
    else:
        options = [o for p in command.params for o in (*p.opts, *p.secondary_opts)]
        found = nearest(error.option_name, [o for o in options if o.startswith("-")])
    message = f"No such option {error.option_name!r}.{did_you_mean(found)}"
    return click.NoSuchOption(error.option_name, message, ctx=error.ctx)


class SuggestingGroup(click.Group):
    """A group whose unknown subcommand gets the nearest of its commands."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        unknown = self.get_command(ctx, name) is None and not name.startswith("-")
        if unknown and not ctx.resilient_parsing:
            raise no_such_command(name, self.list_commands(ctx), ctx)
        return super().resolve_command(ctx, args)

"""The SSH user's crontab (pure): a set of lines, each ending in its owner's marker, replaced or
removed, the rest of the table kept as `crontab -l` prints it. Used by the app's job scheduler
(commands/cron.py) and by the engine's restart of containers at boot (commands/server.py)."""

from __future__ import annotations

from collections.abc import Sequence

NO_RESTART_MARK = "no-restart-at-boot:"  # set_lines: the crontab lines could not be written
# the PATH of the crontab's lines: cron's own is /usr/bin:/bin, and an engine may be elsewhere
CRON_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def set_lines(marker: str, lines: Sequence[str]) -> str:
    """Shell, in a directory it may write its temporary files to: the lines ending in `marker`
    in the SSH user's crontab replaced by these, the rest of it kept; written only when that
    changes. A host without `crontab`, a `crontab -l` that fails other than with `no crontab
    for ...`, or a `crontab` that refuses the file: the line `NO_RESTART_MARK why`, nothing
    changed."""
    said = f'echo "{NO_RESTART_MARK}'
    listed = "crontab -l > crontab.old 2> crontab.err || grep -q '^no crontab for' crontab.err"
    new_lines = " ".join(single_quoted(line) for line in lines)
    return (
        f'if ! command -v crontab > /dev/null 2>&1; then {said} the host has no crontab command"; '
        f'elif ! {{ {listed}; }}; then {said} crontab -l: $(head -n 1 crontab.err)"; '
        f"else {{ grep -v -F '{marker}' crontab.old; printf '%s\\n' {new_lines}; }} "
        "> crontab.new; cmp -s crontab.old crontab.new || crontab crontab.new 2> crontab.err || "
        f'{said} crontab: $(head -n 1 crontab.err)"; fi; rm -f crontab.old crontab.new crontab.err'
    )


def unset_lines(marker: str) -> str:
    """Shell, in a directory it may write to: the lines ending in `marker` removed from the
    crontab, if it has them (without a crontab or those lines, nothing is written)."""
    quoted = f"'{marker}'"
    return (
        "{ command -v crontab > /dev/null 2>&1 && crontab -l > crontab.old 2> /dev/null && "
        f"grep -q -F {quoted} crontab.old && grep -v -F {quoted} crontab.old | crontab -; "
        "rm -f crontab.old; }"
    )


def single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"

"""Commands for an app's job scheduler (pure): install and start it, switch a role's release
pointer, stop it, read the run records. The scripts are commands/cron_scripts.py; what they
guarantee is docs/cron.md."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

from dockyard.commands import crontab
from dockyard.commands.base import HomePath, Raw
from dockyard.commands.cron_scripts import RUN_SH, SCHEDULER_SH
from dockyard.commands.crontab import CRON_PATH
from dockyard.commands.envfile import env_file
from dockyard.engine import Engine

RUNNING_MARK = "runs-still-going:"
LAST_MARK = "last="


def cron_dir(app: str) -> str:
    """The app's cron directory, relative to the home (app: service[-destination])."""
    return f".dockyard/apps/{app}/cron"


def _dir(app: str) -> str:
    return f'"$HOME/{HomePath(cron_dir(app))}"'


def _write(path: str, text: str, mode: str = "644") -> str:
    """Shell that writes the text to a path relative to the cwd, atomically (base64: any text)."""
    data = base64.b64encode(text.encode()).decode()
    temp = f"{path}.tmp"
    return f"echo {data} | base64 -d > {temp} && chmod {mode} {temp} && mv -f {temp} {path}"


def install_scheduler(
    engine: Engine,
    app: str,
    jobs: Mapping[str, str],
    scripts: tuple[str, str] = (SCHEDULER_SH, RUN_SH),
    handed_over: int | None = None,
) -> Raw:
    """The scripts (scheduler.sh, run.sh) and job files written (a job no longer configured is
    removed: its records stay), the scheduler restarted if its script changed, and started if
    it does not run. `handed_over`: the last second a scheduler stopped on another host looked
    at (a move): one started here looks at the seconds after it, unless it looked further."""
    writes = [
        _write("scheduler.sh.new", scripts[0], "755"),
        _write("run.sh", scripts[1], "755"),
        *(_write(f"jobs/{name}.job", text) for name, text in jobs.items()),
    ]
    keep = " ".join(f"{name}.job" for name in jobs)
    prune = (
        f'for f in jobs/*.job; do [ -f "$f" ] || continue; case " {keep} " in '
        f'*" ${{f#jobs/}} "*) ;; *) rm -f "$f" ;; esac; done'
    )
    start = f"{_start(engine, app)} &"
    return Raw(
        f"mkdir -p {_dir(app)} && cd {_dir(app)} && mkdir -p jobs runs locks paused state "
        f"releases && {' && '.join(writes)} && {prune} && {_enable(engine, app)} && "
        f"if ! cmp -s scheduler.sh.new scheduler.sh; then {_stop()}; "
        "mv -f scheduler.sh.new scheduler.sh; else rm -f scheduler.sh.new; fi && "
        f"if flock -n scheduler.lock true; then {_take_over(handed_over)}{start} fi"
    )


def _start(engine: Engine, app: str) -> str:
    return f"setsid nohup sh scheduler.sh {engine.name} {app} >> scheduler.log 2>&1 < /dev/null"


# --- restart at boot: the `enabled` file and the SSH user's crontab (docs/cron.md) ---------------


def _enable(engine: Engine, app: str) -> str:
    """The scheduler enabled here (`enabled`: the crontab's lines start it only while it
    exists), and the app's lines set in the crontab (printing NO_RESTART_MARK and why, if they
    could not be: the install goes on)."""
    return f"touch enabled && {{ {set_crontab(app, crontab_lines(engine, app))}; }}"


def crontab_marker(app: str) -> str:
    """The end of each of the app's crontab lines (`:` is in no app name: the marker of `shop`
    is not part of the marker of `shop-staging`)."""
    return f"# dockyard-cron:{app}:"


def crontab_lines(engine: Engine, app: str) -> tuple[str, str]:
    """At boot, and every minute (a cron that started before the home was there, a scheduler
    that died): start the scheduler if it is enabled and does not run (its lock is free). Cron
    runs them with `sh` in the SSH user's home."""
    start = (
        f"PATH={CRON_PATH}; cd {_dir(app)} 2> /dev/null && [ -f enabled ] && "
        f"flock -n scheduler.lock true && {{ {_start(engine, app)} & }} {crontab_marker(app)}"
    )
    return (f"@reboot {start}", f"* * * * * {start}")


def set_crontab(app: str, lines: Sequence[str]) -> str:
    """Shell, in the app's cron directory: the app's lines in the SSH user's crontab replaced by
    these (commands/crontab.py; NO_RESTART_MARK and why when they could not be)."""
    return crontab.set_lines(crontab_marker(app), lines)


def _unset_crontab(app: str) -> str:
    """Shell, in the app's cron directory: the app's lines removed from the crontab, if it has
    them (the lines do nothing anyway once `enabled` is gone)."""
    return crontab.unset_lines(crontab_marker(app))


# --- end of restart at boot ----------------------------------------------------------------------


def _take_over(last: int | None) -> str:
    if last is None:
        return ""
    own = "$(cat state/last 2> /dev/null || echo 0)"
    return f'[ "{own}" -ge {last} ] || echo {last} > state/last; '


def _stop() -> str:
    """Stop the scheduler of the cwd (its runs go on) and wait until it has let go of its lock
    (its pid is only read while the lock is held: a stale pid file never kills another
    process)."""
    return (
        "{ flock -n scheduler.lock true || kill $(cat scheduler.pid) 2> /dev/null; "
        "flock -w 15 scheduler.lock true || { echo 'the scheduler did not stop in 15s' >&2; "
        "exit 1; }; }"
    )


def stop_scheduler(app: str, engine: Engine | None = None) -> Raw:
    """Stop the scheduler and disable it (`enabled` removed first, then its crontab lines: cron
    does not start it again), its runs go on, unless the engine is given: then they are stopped
    too), print the last second it looked at (`last=N`, LAST_MARK) and list the runs still
    going, one record path a line after RUNNING_MARK; nothing if the app has no cron
    directory here."""
    runs = ""
    if engine is not None:
        e = engine.name
        runs = (f"ids=$({e} ps --quiet --filter label=dockyard-cron={app}); "
                f'[ -z "$ids" ] || {e} stop --time 10 $ids > /dev/null; ')  # fmt: skip
    return Raw(
        f"cd {_dir(app)} 2> /dev/null || exit 0; rm -f enabled; {_stop()}; rm -f scheduler.pid; "
        f"{_unset_crontab(app)}; "
        f'echo "{LAST_MARK}$(cat state/last 2> /dev/null)"; echo {RUNNING_MARK}; '
        f"grep -l '^state=running$' runs/*/* 2> /dev/null; {runs}true"
    )


def retire_scheduler(app: str) -> Raw:
    """With no job left in the config: the scheduler disabled and stopped (its runs go on), its
    crontab lines removed, its job files
    and the last second it looked at removed (jobs added later start from their deploy);
    nothing where it never ran."""
    return Raw(
        f"{{ [ ! -d {_dir(app)}/jobs ] || ( cd {_dir(app)} && rm -f enabled && {_stop()} && "
        f"rm -f jobs/*.job state/last scheduler.pid && {{ {_unset_crontab(app)}; true; }} ); }}"
    )


def switch_release(
    app: str, role: str, version: str, image: str, clear_env: Mapping[str, str],
    secrets_file: str, *, keep_existing: bool = False,
) -> Raw:  # fmt: skip
    """The role's release pointer switched to this version, its env written first (the clear
    variables, then the secrets of the role's env file); `keep_existing` (a rollback) keeps the
    env the version was deployed with, when it has one here."""
    env = f"releases/{version}/{role}.env"
    clear = _write_lines(env_file(clear_env))
    secrets = f'"$HOME/{HomePath(secrets_file)}"'
    write_env = (
        f"mkdir -p releases/{version} && (umask 077 && {{ {clear}; cat {secrets}; }} > {env}.tmp) "
        f"&& mv -f {env}.tmp {env}"
    )
    if keep_existing:
        write_env = f"{{ [ -f {env} ] || {{ {write_env}; }}; }}"
    pointer = _write(f"release.{role}", f"{version} {image}\n")
    return Raw(f"mkdir -p {_dir(app)} && cd {_dir(app)} && {write_env} && {pointer}")


def _write_lines(text: str) -> str:
    data = base64.b64encode(text.encode()).decode()
    return f"echo {data} | base64 -d"


def read_runs(app: str, jobs: Sequence[str] = ()) -> Raw:
    """Every run record (of these jobs), one a line, its key=value pairs tab-separated."""
    return Raw(f"cd {_dir(app)} 2> /dev/null || exit 0; {_records(jobs)}")


def read_status(app: str) -> Raw:
    """Whether the scheduler runs here (a line `scheduler=running`, `stopped`, or `none`: no
    cron directory), then every run record (as read_runs prints them)."""
    state = (
        "if flock -n scheduler.lock true; then echo scheduler=stopped; "
        "else echo scheduler=running; fi"
    )
    none = "{ echo scheduler=none; exit 0; }"
    return Raw(f"cd {_dir(app)} 2> /dev/null || {none}; {state}; {_records(())}")


def _records(jobs: Sequence[str]) -> str:
    dirs = " ".join(f"runs/{job}" for job in jobs) if jobs else "runs/*"
    return (
        f"for d in {dirs}; do for f in $d/*; do "
        "case $f in *.*) continue ;; esac; [ -f \"$f\" ] && tr '\\n' '\\t' < \"$f\" && echo; "
        "done; done; true"
    )


def pause(app: str, job: str) -> Raw:
    """The job's ticks are recorded as paused until it is resumed."""
    return Raw(f"mkdir -p {_dir(app)}/paused && touch {_dir(app)}/paused/{job}")


def resume(app: str, job: str) -> Raw:
    return Raw(f"rm -f {_dir(app)}/paused/{job}")


def run_now(engine: Engine, app: str, job: str) -> Raw:
    """One run now, under the job's lock, in the background (as a tick runs); prints its tick
    name (`<time>-manual`)."""
    return Raw(
        f"cd {_dir(app)} && tick=$(date -u +%Y%m%dT%H%M%S)-manual || exit 1; "
        f"setsid nohup sh run.sh {engine.name} {app} {job} $(date +%s) $tick manual "
        '> /dev/null 2>&1 < /dev/null & echo "$tick"'
    )


def run_log(app: str, job: str, tick: str | None = None) -> Raw:
    """The log tail of a run (default: the newest that has one); prints nothing if none."""
    pick = tick or "$(ls -1t | grep '[.]log$' | head -n 1 | sed 's/[.]log$//')"
    return Raw(
        f'cd {_dir(app)}/runs/{job} 2> /dev/null || exit 0; t={pick}; [ -n "$t" ] || exit 0; '
        'echo "#run $t"; cat "$t.log" 2> /dev/null; true'
    )

"""The shell scripts of an app's job scheduler (pure text; POSIX sh with GNU coreutils and
util-linux's flock, as on the Debian and Ubuntu hosts dockyard deploys to). docs/cron.md states
what they guarantee.

Both run in the app's cron directory (~/.dockyard/apps/<app>/cron), which holds:

    jobs/<job>.job     one job's settings (shell assignments, written by dockyard)
    release.<role>     the role's release a tick runs now: `<version> <image>` (the pointer a
                       deploy and a rollback switch, in their last trip to the host)
    releases/<v>/<role>.env  the env of each release a pointer named (0600)
    runs/<job>/<tick>  one record per tick (key=value lines), <tick>.log its log tail,
                       .<tick>.lock held by every process of the run while it runs
    locks/<job>.lock   the job's flock: concurrency
    paused/<job>       present while the job is paused
    state/last         the last second the scheduler looked at (its ticks are dispatched),
                       written after a second a job was due at, after jobs/ changed,
                       every SWEEP_EVERY seconds and when it is stopped (an idle second
                       writes nothing)

scheduler.sh ENGINE APP  the loop: one instance per host (flock on scheduler.lock), started only
            while `enabled` exists (by dockyard, and by the crontab's lines at boot and every
            minute: commands/cron.py), once the engine answers (at most ENGINE_WAIT s); woken
            just past each whole second (one `date`, one `sleep`); `due`, without a process,
            tells which jobs may have a tick since the last second it looked at (@every: a
            multiple of N; fields: a second its seconds field holds, then the other fields, in
            the job's zone once a minute), and for those the ticks are found: a tick at most
            LATE seconds old runs (run.sh in the background), an older one is missed (recorded;
            with catch_up, the newest missed tick within it runs, recorded as caught up);
            at its start and every SWEEP_EVERY seconds, a record left starting or running
            whose run lock is free is marked lost (every process of that run is gone).
run.sh ENGINE APP JOB EPOCH TICK MODE  one tick: the record is created first (O_EXCL: a tick
            that has one never runs again), then the lock, the release, the container (a tick
            whose engine does not answer is missed), and the record completed with the exit
            code, duration and log tail.
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.commands.backup_scripts import shell_sets, space_padded
from dockyard.config.cron import CronSchedule

LATE = 10  # seconds after its tick a run may still start (a busy or restarted scheduler)
MAX_GAP = 7 * 86400  # a longer gap is looked at from its last week only
MAX_MISSED = 200  # missed ticks recorded one by one per job and recovery; the rest counted
KEEP_RECORDS = 500  # newest records kept per job
LOG_TAIL = 50  # lines of a run's output kept in its record
SWEEP_EVERY = 60  # seconds between the scheduler's looks for lost runs (and at its start)
ENGINE_WAIT = 60  # seconds a starting scheduler waits for the engine (after a boot)
WAKE_MS = 10  # the loop wakes this many milliseconds past each whole second
FIELDS = "%-M %-H %-d %-m %w"  # date's format of a second's fields: minute hour day month weekday

DUE_SH = rf"""has() {{  # SET VALUE: whether the space-padded set holds the value
  case $1 in *" $2 "*) return 0 ;; esac; return 1
}}
clock() {{  # now, ms (its milliseconds, 0 without %N) and utc (its fields in UTC): one date
  set -- $(date -u +'%s %N {FIELDS}')
  [ $# -eq 7 ] || return 1
  now=$1 utc="$3 $4 $5 $6 $7"
  case $2 in [0-9][0-9][0-9]*) ms=${{2%"${{2#???}}"}}; ms=$((1$ms - 1000)) ;; *) ms=0 ;; esac
}}
due() {{  # FILE LAST NOW: false only when the job (its file, sourced here) has no tick in
  # (LAST, NOW]; dispatch finds the ticks. No process for an @every job, nor for any job at a
  # second its seconds field does not hold (every zone's offset is whole minutes); a job's
  # other fields in its zone at most once a minute (utc: the loop's fields of NOW)
  command . "./$1" 2> /dev/null || return 1
  if [ -n "$EVERY" ]; then [ $(($3 / EVERY)) -gt $(($2 / EVERY)) ]; return; fi
  [ $(($3 - $2)) -lt 60 ] || return 0
  _s=$3
  until has "$CRON_SECONDS" $((_s % 60)); do
    _s=$((_s - 1)); [ "$_s" -gt "$2" ] || return 1
  done
  [ $((($2 + 1) / 60)) -eq $(($3 / 60)) ] || return 0  # two minutes: dispatch decides
  if [ "$TZ_NAME" = UTC ]; then set -- $utc
  else
    _key="$TZ_NAME $(($3 / 60))"
    if [ "$_key" != "${{zone_key:-}}" ]; then
      zone_fields=$(TZ=$TZ_NAME date -d "@$3" +'{FIELDS}') || return 0
      zone_key=$_key
    fi
    set -- $zone_fields
  fi
  [ $# -eq 5 ] || return 0
  has "$CRON_MINUTES" "$1" && has "$CRON_HOURS" "$2" && has "$CRON_MONTHS" "$4" || return 1
  _d=0 _w=0; has "$CRON_DAYS" "$3" && _d=1; has "$CRON_WEEKDAYS" "$5" && _w=1
  if [ "$CRON_DAY_OR" = 1 ]; then [ $((_d + _w)) -ge 1 ]; else [ $((_d + _w)) -eq 2 ]; fi
}}
"""

SCHEDULER_SH = rf"""#!/bin/sh
# dockyard: the job scheduler of one app on this host (see commands/cron_scripts.py)
set -u
ENGINE=$1 APP=$2
cd "$(dirname "$0")" || exit 1
mkdir -p jobs runs locks paused state releases
exec 8> scheduler.lock
flock -n 8 || {{ echo "a scheduler of $APP already runs here"; exit 0; }}
echo $$ > scheduler.pid
trap 'rm -f scheduler.pid; exit 0' TERM INT
# --- start-up after a reboot (docs/cron.md): cron starts this script at boot and every minute
# while `enabled` exists; one dockyard stopped (no `enabled`) exits. After a boot the engine may
# still be starting: the ticks are looked at once it answers (or after ENGINE_WAIT seconds).
[ -f enabled ] || {{ echo "$(date -u +%s) not enabled here (dockyard stopped it)"
  rm -f scheduler.pid; exit 0; }}
waited=0
until $ENGINE version > /dev/null 2>&1 < /dev/null; do
  [ "$waited" -lt {ENGINE_WAIT} ] ||
    {{ echo "$(date -u +%s) the engine did not answer in {ENGINE_WAIT}s; starting anyway"; break; }}
  sleep 1; waited=$((waited + 1))
done
# --- end of the start-up after a reboot
ticks() {{  # JOB FROM TO: "epoch tick" for each tick of the job in (FROM, TO]
  ( . "jobs/$1.job"
    zone=$TZ_NAME; [ -z "$EVERY" ] || zone=UTC
    seq $(($2 + 1)) "$3" | sed 's/^/@/' |
      TZ=$zone date -f - +'%s %S %M %H %d %m %w %Y%m%dT%H%M%S' |
      awk -v E="$EVERY" -v S="$CRON_SECONDS" -v M="$CRON_MINUTES" -v H="$CRON_HOURS" \
        -v D="$CRON_DAYS" -v MO="$CRON_MONTHS" -v W="$CRON_WEEKDAYS" -v OR="$CRON_DAY_OR" '
        function has(set, v) {{ return index(set, " " (v + 0) " ") > 0 }}
        E != "" {{ if ($1 % E == 0) print $1, $8; next }}
        has(S, $2) && has(M, $3) && has(H, $4) && has(MO, $6) {{
          d = has(D, $5); w = has(W, $7)
          if ((OR == 1 && (d || w)) || (OR != 1 && d && w)) print $1, $8
        }}' )
}}
missed() {{  # JOB EPOCH TICK
  mkdir -p "runs/$1"
  ( set -C; printf 'job=%s\ntick=%s\nat=%s\nstate=missed\n' "$1" "$3" "$2" > "runs/$1/$3" ) \
    2> /dev/null || true
}}
{DUE_SH}dispatch() {{  # JOB LAST NOW (due sourced its file)
  catch_up=${{CATCH_UP:-0}}
  ticks "$1" "$2" "$3" > state/due
  newest_missed=$(awk -v now="$3" '$1 < now - {LATE} {{ t = $0 }} END {{ print t }}' state/due)
  n=0
  while read -r at tick; do
    if [ $(($3 - at)) -le {LATE} ]; then
      sh run.sh "$ENGINE" "$APP" "$1" "$at" "$tick" scheduled 8>&- > /dev/null 2>&1 &
    elif [ "$at $tick" = "$newest_missed" ] && [ $(($3 - at)) -le "$catch_up" ]; then
      sh run.sh "$ENGINE" "$APP" "$1" "$at" "$tick" caught-up 8>&- > /dev/null 2>&1 &
    else
      n=$((n + 1)); [ "$n" -le {MAX_MISSED} ] && missed "$1" "$at" "$tick"
    fi
  done < state/due
  [ "$n" -le {MAX_MISSED} ] ||
    echo "$(date -u +%s) $1: $((n - {MAX_MISSED})) more missed ticks not recorded" >> scheduler.log
}}
lost() {{  # records a run left starting or running, whose processes are all gone: lost
  grep -l -E '^state=(starting|running)$' runs/*/* 2> /dev/null | while read -r rec; do
    case ${{rec##*/}} in *.*) continue ;; esac
    lock="${{rec%/*}}/.${{rec##*/}}.lock"
    flock -n "$lock" true 2> /dev/null || continue  # held: a process of the run goes on
    if grep -q -E '^state=(starting|running)$' "$rec"; then
      {{ grep -v -E '^(state|reason)=' "$rec"; echo state=lost
        echo "reason=its processes ended without recording the end (a reboot, a kill)"
      }} > "$rec.tmp" && mv -f "$rec.tmp" "$rec"
    fi
    rm -f "$lock"
  done
}}
now=$(date +%s)
last=$(cat state/last 2> /dev/null || echo "$now")
[ $((now - last)) -le {MAX_GAP} ] || last=$((now - {MAX_GAP}))
swept=0
# an idle second costs two processes (date, sleep) and writes nothing: state/last is written
# after a second a job was due at, after jobs/ changed, every {SWEEP_EVERY} s and when stopped
save_last() {{ echo "$last" > state/last.tmp && mv -f state/last.tmp state/last; }}
trap 'save_last; rm -f scheduler.pid; exit 0' TERM INT
while :; do
  clock || {{ sleep 1; continue; }}
  [ $((now - swept)) -lt {SWEEP_EVERY} ] || {{ lost; swept=$now; save_last; }}
  if [ "$now" -gt "$last" ]; then
    looked=
    for f in jobs/*.job; do
      [ -f "$f" ] && due "$f" "$last" "$now" || continue
      job=${{f#jobs/}}; dispatch "${{job%.job}}" "$last" "$now"; looked=1
    done
    last=$now
    [ -z "$looked" ] || {{ save_last; continue; }}  # the clock read again before sleeping
    [ ! jobs -nt state/last ] || save_last  # a job added or changed: not looked at before
  fi
  nap=$((2000 + {WAKE_MS} - ms))  # 1000 + the milliseconds to just past the next second
  sleep "$((nap / 1000 - 1)).${{nap#?}}"
done
"""

RUN_SH = rf"""#!/bin/sh
# dockyard: one tick of one job (see commands/cron_scripts.py)
set -u
ENGINE=$1 APP=$2 JOB=$3 AT=$4 TICK=$5 MODE=$6
cd "$(dirname "$0")" || exit 1
rec="runs/$JOB/$TICK"
mkdir -p "runs/$JOB"
# held by every process of the run (the engine's client too): a record left running whose
# lock is free was lost (the scheduler marks it); taken before the record exists
exec 7> "runs/$JOB/.$TICK.lock"
flock -n 7 || {{ echo "$JOB@$TICK is being run"; exit 0; }}
trap 'rm -f "runs/$JOB/.$TICK.lock"' EXIT
# the record first, created exclusively: a tick that has one is never run again
( set -C; printf 'job=%s\ntick=%s\nat=%s\nstate=starting\n' "$JOB" "$TICK" "$AT" > "$rec" ) \
  2> /dev/null || {{ echo "$JOB@$TICK already has a record"; exit 0; }}
. "jobs/$JOB.job" || exit 1
record() {{  # the whole record again, atomically: state, then key=value pairs
  {{ printf 'job=%s\ntick=%s\nat=%s\nmode=%s\nstate=%s\n' "$JOB" "$TICK" "$AT" "$MODE" "$1"
    shift; for kv in "$@"; do printf '%s\n' "$kv"; done; }} > "$rec.tmp" && mv -f "$rec.tmp" "$rec"
}}
if [ -f "paused/$JOB" ] && [ "$MODE" != manual ]; then record paused; exit 0; fi
exec 9> "locks/$JOB.lock"
name="$APP-cron-$JOB-$(echo "$TICK" | tr -c 'A-Za-z0-9\n' -)"
if [ "$CONCURRENCY" = forbid ] && ! flock -n 9; then
  record skipped "reason=the last run still runs"; exit 0
fi
if [ "$CONCURRENCY" = replace ] && ! flock -n 9; then
  for running in $($ENGINE ps --quiet --filter "label=dockyard-cron-job=$APP/$JOB"); do
    touch "runs/$JOB/.replaced-$($ENGINE inspect --format '{{{{.Name}}}}' "$running" | tr -d /)"
    $ENGINE stop --time 10 "$running" > /dev/null 2>&1
  done
  flock -w 60 9 || {{ record failed "reason=the replaced run did not stop within 70s"; exit 0; }}
fi
read -r version image < "release.$ROLE" 2> /dev/null ||
  {{ record failed "reason=no release is deployed yet"; exit 0; }}
$ENGINE version > /dev/null 2>&1 < /dev/null ||
  {{ record missed "reason=the engine did not answer (stopped or restarting)"; exit 0; }}
started=$(date +%s)
record running "release=$version" "started=$started" "container=$name"
if [ -n "$TIMEOUT" ]; then
  ( i=0; while [ $i -lt "$TIMEOUT" ] && [ ! -f "$rec.done" ]; do sleep 1; i=$((i + 1)); done
    [ -f "$rec.done" ] || {{ touch "$rec.timeout"; $ENGINE stop --time 10 "$name"; }}
  ) 7>&- 8>&- 9>&- > /dev/null 2>&1 &
fi
eval "set -- $RUN_ARGS"
set +u  # the command is shell text for this shell, as `app exec` takes it
eval "\"\$ENGINE\" run --rm --name \"\$name\" --label \"dockyard-cron=\$APP\" \
  --label \"dockyard-cron-job=\$APP/\$JOB\" --env-file \"releases/\$version/\$ROLE.env\" \"\$@\" \
  \"\$image\" $COMMAND" > "$rec.out" 2>&1 < /dev/null
code=$?
ended=$(date +%s)
touch "$rec.done"
tail -n {LOG_TAIL} "$rec.out" > "$rec.log"; rm -f "$rec.out"
state=ok; [ "$code" -eq 0 ] || state=failed
[ ! -f "$rec.timeout" ] || state=timed-out
[ ! -f "runs/$JOB/.replaced-$name" ] || state=replaced
rm -f "$rec.done" "$rec.timeout" "runs/$JOB/.replaced-$name"
record "$state" "release=$version" "started=$started" "container=$name" "ended=$ended" \
  "duration=$((ended - started))" "exit=$code"
ls -1t "runs/$JOB" | grep -v '\.' | tail -n +{KEEP_RECORDS + 1} |
  while read -r old; do rm -f "runs/$JOB/$old" "runs/$JOB/$old.log"; done
exit 0
"""


def job_settings(
    schedule: CronSchedule,
    *,
    role: str,
    zone: str,
    concurrency: str,
    timeout: int | None,
    catch_up: int | None,
    run_args: str,
    command: str,
) -> dict[str, str]:
    """A job's file: the schedule as space-padded sets (or EVERY), the role whose release it
    runs, how it runs, and the `run` options and command as shell text (run.sh evaluates
    them)."""

    return {
        "EVERY": str(schedule.every or ""),
        "CRON_SECONDS": space_padded(schedule.seconds),
        **shell_sets(schedule),
        "ROLE": role,
        "TZ_NAME": zone,
        "CONCURRENCY": concurrency,
        "TIMEOUT": str(timeout or ""),
        "CATCH_UP": str(catch_up or ""),
        "RUN_ARGS": run_args,
        "COMMAND": command,
    }


def job_file(settings: Mapping[str, str]) -> str:
    """Shell assignments, each value single-quoted."""
    return "".join(f"{key}={_single_quoted(value)}\n" for key, value in settings.items())


def _single_quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"

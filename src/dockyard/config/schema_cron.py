"""Schema of `x-dockyard: cron: <job>:` (see schema.py for the kinds).

config/cron_jobs.py validates the jobs with its own rules (schedules, durations, roles, hosts,
time zones) but takes every key name, choice and default from here, and `dockyard docs
x-dockyard` shows exactly these.
"""

from __future__ import annotations

Spec = tuple[str, ...]

CRON_JOB: dict[str, Spec] = {
    "schedule": ("string", "When the job runs, quoted: five cron fields (\"*/5 * * * *\"), six "
                 "with the second first (\"*/10 * * * * *\"), @every with s, m or h (@every "
                 "30s; it divides a day evenly), or @yearly, @monthly, @weekly, @daily, "
                 "@hourly. Required.", ""),
    "command": ("string", "The command, run in a new container of the release live at the "
                "tick (through the image's entrypoint, as `app exec` runs one). Required.", ""),
    "role": ("string", "The role whose image, env, secrets, volumes and options the job "
             "uses.", "the primary role"),
    "host": ("string", "The host that runs the scheduler and the job; one of the role's "
             "hosts.", "the role's first host"),
    "concurrency": ("enum", "When a tick comes while the last run still runs: forbid skips "
                    "the tick (recorded as skipped), allow starts it beside, replace stops the "
                    "running one first.", "forbid", "forbid|allow|replace"),
    "timeout": ("string", "A run still going after this long is stopped and recorded as "
                "timed out: a number with s, m or h (90s, 30m, 2h).", "none"),
    "timezone": ("string", "The time zone the schedule's fields are read in (an IANA name, "
                 "like Europe/Paris); @every does not depend on it.", "UTC"),
    "catch_up": ("string", "Missed ticks (the host or the scheduler down): none are run "
                 "(each is recorded as missed), unless this is set: then the latest missed "
                 "tick is run once on recovery if it is at most this old (90s, 30m, 2h), and "
                 "recorded as caught up.", "none"),
}  # fmt: skip

CRON_SECTIONS: dict[str, dict[str, Spec]] = {"x_cron": CRON_JOB}

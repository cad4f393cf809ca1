"""Exact renders of the scheduler's commands (its scripts: test_cron_scripts.py). Text goes
to the host base64-encoded: QT0xCg== is `A=1\n`, djMgcmVnL3Nob3A6djMK `v3 reg/shop:v3\n`,
Uwo= `S\n`, Ugo= `R\n`, WD0xCg== `X=1\n`."""

from dockyard.commands.cron import (
    crontab_lines,
    install_scheduler,
    pause,
    read_runs,
    read_status,
    resume,
    retire_scheduler,
    run_log,
    run_now,
    set_crontab,
    stop_scheduler,
    switch_release,
)
from dockyard.engine import DOCKER, PODMAN

ENV_FILE = ".dockyard/apps/shop/env/roles/web.env"
START = (
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; "
    'cd "$HOME/.dockyard/apps/shop/cron" 2> /dev/null && [ -f enabled ] && '
    "flock -n scheduler.lock true && { setsid nohup sh scheduler.sh docker shop >> "
    "scheduler.log 2>&1 < /dev/null & } # dockyard-cron:shop:"
)
SET_CRONTAB = (
    "if ! command -v crontab > /dev/null 2>&1; then "
    'echo "no-restart-at-boot: the host has no crontab command"; '
    "elif ! { crontab -l > crontab.old 2> crontab.err || "
    "grep -q '^no crontab for' crontab.err; }; then "
    'echo "no-restart-at-boot: crontab -l: $(head -n 1 crontab.err)"; '
    "else { grep -v -F '# dockyard-cron:shop:' crontab.old; printf '%s\\n' "
    f"'@reboot {START}' '* * * * * {START}'; }} > crontab.new; "
    "cmp -s crontab.old crontab.new || crontab crontab.new 2> crontab.err || "
    'echo "no-restart-at-boot: crontab: $(head -n 1 crontab.err)"; fi; '
    "rm -f crontab.old crontab.new crontab.err"
)


def test_the_crontab_lines_start_the_scheduler_at_boot_and_each_minute_if_enabled() -> None:
    assert crontab_lines(DOCKER, "shop") == (f"@reboot {START}", f"* * * * * {START}")
    (reboot, _) = crontab_lines(PODMAN, "shop-staging")
    assert reboot == (
        "@reboot PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; "
        'cd "$HOME/.dockyard/apps/shop-staging/cron" 2> /dev/null && [ -f enabled ] && '
        "flock -n scheduler.lock true && { setsid nohup sh scheduler.sh podman shop-staging >> "
        "scheduler.log 2>&1 < /dev/null & } # dockyard-cron:shop-staging:"
    )
    assert "%" not in reboot  # cron would end the command at a `%`


def test_set_crontab_replaces_the_apps_lines_and_keeps_the_rest() -> None:
    assert set_crontab("shop", crontab_lines(DOCKER, "shop")) == SET_CRONTAB


def test_stop_scheduler_lists_the_runs_going_and_leaves_them() -> None:
    assert stop_scheduler("shop").render() == (
        'cd "$HOME/.dockyard/apps/shop/cron" 2> /dev/null || exit 0; rm -f enabled; { flock '
        "-n scheduler.lock true || kill $(cat scheduler.pid) 2> /dev/null; flock -w 15 "
        "scheduler.lock true || { echo 'the scheduler did not stop in 15s' >&2; exit 1; }; "
        "}; rm -f scheduler.pid; { command -v crontab > /dev/null 2>&1 && crontab -l > "
        "crontab.old 2> /dev/null && grep -q -F '# dockyard-cron:shop:' crontab.old && grep "
        "-v -F '# dockyard-cron:shop:' crontab.old | crontab -; rm -f crontab.old; }; echo "
        '"last=$(cat state/last 2> /dev/null)"; echo runs-still-going:; grep -l '
        "'^state=running$' runs/*/* 2> /dev/null; true"
    )


def test_stop_scheduler_with_the_engine_stops_the_runs_too() -> None:
    assert stop_scheduler("shop", PODMAN).render() == (
        'cd "$HOME/.dockyard/apps/shop/cron" 2> /dev/null || exit 0; rm -f enabled; { flock '
        "-n scheduler.lock true || kill $(cat scheduler.pid) 2> /dev/null; flock -w 15 "
        "scheduler.lock true || { echo 'the scheduler did not stop in 15s' >&2; exit 1; }; "
        "}; rm -f scheduler.pid; { command -v crontab > /dev/null 2>&1 && crontab -l > "
        "crontab.old 2> /dev/null && grep -q -F '# dockyard-cron:shop:' crontab.old && grep "
        "-v -F '# dockyard-cron:shop:' crontab.old | crontab -; rm -f crontab.old; }; echo "
        '"last=$(cat state/last 2> /dev/null)"; echo runs-still-going:; grep -l '
        "'^state=running$' runs/*/* 2> /dev/null; ids=$(podman ps --quiet --filter "
        'label=dockyard-cron=shop); [ -z "$ids" ] || podman stop --time 10 $ids > /dev/null; '
        "true"
    )


def test_switch_release_writes_the_env_then_the_pointer() -> None:
    assert switch_release("shop", "web", "v3", "reg/shop:v3", {"A": "1"}, ENV_FILE).render() == (
        'mkdir -p "$HOME/.dockyard/apps/shop/cron" && cd "$HOME/.dockyard/apps/shop/cron" && '
        "mkdir -p releases/v3 && (umask 077 && { echo QT0xCg== | base64 -d; "
        'cat "$HOME/.dockyard/apps/shop/env/roles/web.env"; } > releases/v3/web.env.tmp) && '
        "mv -f releases/v3/web.env.tmp releases/v3/web.env && "
        "echo djMgcmVnL3Nob3A6djMK | base64 -d > release.web.tmp && "
        "chmod 644 release.web.tmp && mv -f release.web.tmp release.web"
    )


def test_switch_release_of_a_rollback_keeps_the_env_of_its_deploy() -> None:
    switch = switch_release(
        "shop", "web", "v3", "reg/shop:v3", {"A": "1"}, ENV_FILE, keep_existing=True
    )
    assert switch.render() == (
        'mkdir -p "$HOME/.dockyard/apps/shop/cron" && cd "$HOME/.dockyard/apps/shop/cron" && '
        "{ [ -f releases/v3/web.env ] || { "
        "mkdir -p releases/v3 && (umask 077 && { echo QT0xCg== | base64 -d; "
        'cat "$HOME/.dockyard/apps/shop/env/roles/web.env"; } > releases/v3/web.env.tmp) && '
        "mv -f releases/v3/web.env.tmp releases/v3/web.env; }; } && "
        "echo djMgcmVnL3Nob3A6djMK | base64 -d > release.web.tmp && "
        "chmod 644 release.web.tmp && mv -f release.web.tmp release.web"
    )


def test_read_runs_prints_each_record_on_a_line() -> None:
    assert read_runs("shop").render() == (
        'cd "$HOME/.dockyard/apps/shop/cron" 2> /dev/null || exit 0; for d in runs/*; '
        "do for f in $d/*; do case $f in *.*) continue ;; esac; "
        "[ -f \"$f\" ] && tr '\\n' '\\t' < \"$f\" && echo; done; done; true"
    )
    assert read_runs("shop", ["a", "b"]).render() == (
        'cd "$HOME/.dockyard/apps/shop/cron" 2> /dev/null || exit 0; for d in runs/a runs/b; '
        "do for f in $d/*; do case $f in *.*) continue ;; esac; "
        "[ -f \"$f\" ] && tr '\\n' '\\t' < \"$f\" && echo; done; done; true"
    )


def test_install_scheduler_writes_the_scripts_and_jobs_and_starts_it_once() -> None:
    assert install_scheduler(DOCKER, "shop", {"a": "X=1\n"}, ("S\n", "R\n")).render() == (
        'mkdir -p "$HOME/.dockyard/apps/shop/cron" && cd "$HOME/.dockyard/apps/shop/cron" && '
        "mkdir -p jobs runs locks paused state releases && echo Uwo= | base64 -d > "
        "scheduler.sh.new.tmp && chmod 755 scheduler.sh.new.tmp && mv -f "
        "scheduler.sh.new.tmp scheduler.sh.new && echo Ugo= | base64 -d > run.sh.tmp && "
        "chmod 755 run.sh.tmp && mv -f run.sh.tmp run.sh && echo WD0xCg== | base64 -d > "
        "jobs/a.job.tmp && chmod 644 jobs/a.job.tmp && mv -f jobs/a.job.tmp jobs/a.job && "
        'for f in jobs/*.job; do [ -f "$f" ] || continue; case " a.job " in *" ${f#jobs/} '
        '"*) ;; *) rm -f "$f" ;; esac; done && touch enabled && { if ! command -v crontab > '
        '/dev/null 2>&1; then echo "no-restart-at-boot: the host has no crontab command"; '
        "elif ! { crontab -l > crontab.old 2> crontab.err || grep -q '^no crontab for' "
        'crontab.err; }; then echo "no-restart-at-boot: crontab -l: $(head -n 1 '
        "crontab.err)\"; else { grep -v -F '# dockyard-cron:shop:' crontab.old; printf '%s\\n' "
        "'@reboot PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; cd "
        '"$HOME/.dockyard/apps/shop/cron" 2> /dev/null && [ -f enabled ] && flock -n '
        "scheduler.lock true && { setsid nohup sh scheduler.sh docker shop >> scheduler.log "
        "2>&1 < /dev/null & } # dockyard-cron:shop:' '* * * * * "
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; cd "
        '"$HOME/.dockyard/apps/shop/cron" 2> /dev/null && [ -f enabled ] && flock -n '
        "scheduler.lock true && { setsid nohup sh scheduler.sh docker shop >> scheduler.log "
        "2>&1 < /dev/null & } # dockyard-cron:shop:'; } > crontab.new; cmp -s crontab.old "
        'crontab.new || crontab crontab.new 2> crontab.err || echo "no-restart-at-boot: '
        'crontab: $(head -n 1 crontab.err)"; fi; rm -f crontab.old crontab.new crontab.err; '
        "} && if ! cmp -s scheduler.sh.new scheduler.sh; then { flock -n scheduler.lock true "
        "|| kill $(cat scheduler.pid) 2> /dev/null; flock -w 15 scheduler.lock true || { "
        "echo 'the scheduler did not stop in 15s' >&2; exit 1; }; }; mv -f scheduler.sh.new "
        "scheduler.sh; else rm -f scheduler.sh.new; fi && if flock -n scheduler.lock true; "
        "then setsid nohup sh scheduler.sh docker shop >> scheduler.log 2>&1 < /dev/null & fi"
    )


def test_install_scheduler_after_a_move_starts_from_the_second_the_old_one_left() -> None:
    moved = install_scheduler(DOCKER, "shop", {}, ("S\n", "R\n"), handed_over=1772359210)
    assert moved.render().endswith(
        "if flock -n scheduler.lock true; then "
        '[ "$(cat state/last 2> /dev/null || echo 0)" -ge 1772359210 ] || '
        "echo 1772359210 > state/last; setsid nohup sh scheduler.sh docker shop >> "
        "scheduler.log 2>&1 < /dev/null & fi"
    )


def test_pause_and_resume_mark_the_job() -> None:
    assert pause("shop", "tick").render() == (
        'mkdir -p "$HOME/.dockyard/apps/shop/cron"/paused && '
        'touch "$HOME/.dockyard/apps/shop/cron"/paused/tick'
    )
    assert resume("shop", "tick").render() == 'rm -f "$HOME/.dockyard/apps/shop/cron"/paused/tick'


def test_run_now_starts_run_sh_in_the_background_and_names_its_tick() -> None:
    assert run_now(PODMAN, "shop", "tick").render() == (
        'cd "$HOME/.dockyard/apps/shop/cron" && tick=$(date -u +%Y%m%dT%H%M%S)-manual || exit 1; '
        "setsid nohup sh run.sh podman shop tick $(date +%s) $tick manual "
        '> /dev/null 2>&1 < /dev/null & echo "$tick"'
    )


def test_run_log_prints_a_runs_log_tail_the_newest_by_default() -> None:
    assert run_log("shop", "tick").render() == (
        'cd "$HOME/.dockyard/apps/shop/cron"/runs/tick 2> /dev/null || exit 0; '
        "t=$(ls -1t | grep '[.]log$' | head -n 1 | sed 's/[.]log$//'); "
        '[ -n "$t" ] || exit 0; echo "#run $t"; cat "$t.log" 2> /dev/null; true'
    )
    assert run_log("shop", "tick", "20260301T100010").render() == (
        'cd "$HOME/.dockyard/apps/shop/cron"/runs/tick 2> /dev/null || exit 0; '
        't=20260301T100010; [ -n "$t" ] || exit 0; echo "#run $t"; cat "$t.log" 2> /dev/null; '
        "true"
    )


def test_read_status_says_whether_the_scheduler_runs_then_prints_every_record() -> None:
    assert read_status("shop").render() == (
        'cd "$HOME/.dockyard/apps/shop/cron" 2> /dev/null || { echo scheduler=none; exit 0; }; '
        "if flock -n scheduler.lock true; then echo scheduler=stopped; "
        "else echo scheduler=running; fi; for d in runs/*; "
        "do for f in $d/*; do case $f in *.*) continue ;; esac; "
        "[ -f \"$f\" ] && tr '\\n' '\\t' < \"$f\" && echo; done; done; true"
    )


def test_retire_scheduler_stops_it_and_forgets_its_jobs_where_it_ran() -> None:
    assert retire_scheduler("shop-staging").render() == (
        '{ [ ! -d "$HOME/.dockyard/apps/shop-staging/cron"/jobs ] || ( cd '
        '"$HOME/.dockyard/apps/shop-staging/cron" && rm -f enabled && { flock -n '
        "scheduler.lock true || kill $(cat scheduler.pid) 2> /dev/null; flock -w 15 "
        "scheduler.lock true || { echo 'the scheduler did not stop in 15s' >&2; exit 1; }; } "
        "&& rm -f jobs/*.job state/last scheduler.pid && { { command -v crontab > /dev/null "
        "2>&1 && crontab -l > crontab.old 2> /dev/null && grep -q -F '# "
        "dockyard-cron:shop-staging:' crontab.old && grep -v -F '# "
        "dockyard-cron:shop-staging:' crontab.old | crontab -; rm -f crontab.old; }; true; } "
        "); }"
    )

"""The shell scripts the backup container runs (pure text; POSIX sh, busybox or Debian's dash).

backup.sh   one backup: dump into a hidden temp file beside the backups, check it is whole,
            write its manifest, then rename both into place; prune by count and age only after
            a success; record the last success or failure. A failed dump removes its temp file
            and never touches an earlier backup. With an S3 target (S3_URL set), the checked
            file and its manifest are uploaded by s3.sh (backup_s3.py), removed here whether
            or not that worked, and retention applies to the store after a good upload.
schedule.sh the container's main loop: wake at each minute (UTC), run backup.sh when the
            minute matches the cron sets given in CRON_* variables, then, with VERIFY_AFTER
            set, verify.sh (backup_verify.py) when a verify is due. No cron daemon needed, and
            it runs while dockyard is not connected.
"""

from __future__ import annotations

from dockyard.config.cron import CronSchedule

BACKUP_SH = r"""#!/bin/sh
# dockyard: one backup of $KIND accessory $DB_HOST into /backups (see commands/backup_scripts.py)
set -u
dir=/backups
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dir/$PREFIX-$stamp.$EXT"
tmp="$dir/.partial-$PREFIX-$stamp-$$.$EXT"
record() {  # name, line: written atomically
  printf '%s\n' "$2" > "$dir/.$1.tmp$$" && mv -f "$dir/.$1.tmp$$" "$dir/.$1"
}
fail() {
  rm -f "$tmp" "$final.json.tmp"
  record last-failure "$(date -u +%s) $(printf '%s' "$*" | tr '\n' ' ' | cut -c1-400)"
  echo "backup failed: $*" >&2
  exit 1
}
# each dump writes to stdout: tee keeps it and the digest reads it on the way (no second read);
# openssl's sha256 where the image has it (it uses the CPU's SHA instructions: a seventh of the
# CPU time of busybox's sha256sum, which the dump itself needs), else sha256sum
digest() {
  if command -v openssl > /dev/null 2>&1; then openssl dgst -sha256 -r; else sha256sum; fi |
    cut -d' ' -f1
}
dump_postgres() {
  PGPASSWORD="${POSTGRES_PASSWORD:-}" pg_dump -h "$DB_HOST" -U "$PG_USER" -Fc "$PG_DB"
}
dump_mysql() {  # one consistent snapshot (InnoDB), with routines, triggers and events
  [ -n "$MY_DB" ] || { echo "no database to dump: set MARIADB_DATABASE (or MYSQL_DATABASE)" \
    "in the accessory's env, or x-dockyard/backups/<name>/database"; return 1; } >&2
  tool=mariadb-dump; command -v $tool > /dev/null 2>&1 || tool=mysqldump
  MYSQL_PWD="$(my_password)" $tool -h "$DB_HOST" -u "$MY_USER" --single-transaction --quick \
    --routines --triggers --events "$MY_DB"
}
my_password() {  # root's, or the other user's, as the official images' entrypoints name them
  if [ "$MY_USER" = root ]; then printf '%s' "${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
  else printf '%s' "${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"; fi
}
dump_redis() {  # its progress lines go to stderr; an empty REDISCLI_AUTH would fail AUTH
  if [ -n "${REDIS_PASSWORD:-}" ]; then export REDISCLI_AUTH="$REDIS_PASSWORD"; fi
  redis-cli -h "$DB_HOST" --rdb -
}
dump_volume() {  # the accessory's mounts, seen here through --volumes-from (read-only)
  tar -czf - -C / $VOLUME_PATHS
}
plain() {  # the dump as written, decrypted when there is a key
  if [ -z "${DOCKYARD_BACKUP_KEY:-}" ]; then cat "$tmp"; return; fi
  openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:DOCKYARD_BACKUP_KEY -in "$tmp"
}
check_redis() { [ "$(plain | head -c 5)" = REDIS ] || fail "the dump is not an RDB file"; }
check_postgres() { :; }
check_mysql() {  # the dump tool ends a whole dump with this line
  if [ -z "${DOCKYARD_BACKUP_KEY:-}" ]; then tail -c 200 "$tmp"; else plain | tail -c 200; fi |
    grep -q '^-- Dump completed' || fail "the dump is incomplete"
}
check_volume() {
  plain | gzip -t 2>/dev/null || fail "the archive is damaged"
  entries=$(plain | tar -tzf - | wc -l | tr -d ' ')
}
: "${PG_USER:=${POSTGRES_USER:-postgres}}"
: "${PG_DB:=${POSTGRES_DB:-$PG_USER}}"
: "${MY_USER:=root}"
: "${MY_DB:=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}}"
entries=0
[ -d "$dir" ] && [ -w "$dir" ] || fail "$dir is not a writable directory"
t="/tmp/.dockyard-backup-$$"  # not in $dir: that disk may be the full one
encrypt() {  # with a key, nothing but ciphertext reaches the disk
  openssl enc -aes-256-cbc -pbkdf2 -iter 200000 -salt -pass env:DOCKYARD_BACKUP_KEY 2> "$t.encerr"
  echo $? > "$t.enc"
}
if [ -n "${DOCKYARD_BACKUP_KEY:-}" ]; then
  { { dump_$KIND 2> "$t.err"; echo $? > "$t.dump"; } | encrypt | tee "$tmp" 2> "$t.tee"
    echo $? > "$t.teed"; } | digest > "$t.sum"
else  # the dump writes the file itself, and the digest reads it back from the page cache: a
  # 225 MB mariadb-dump took 2.1 s into a file, 3.2 s through busybox's tee and the digest
  echo 0 > "$t.enc"; echo 0 > "$t.teed"
  dump_$KIND > "$tmp" 2> "$t.err"; echo $? > "$t.dump"
  if [ "$(cat "$t.dump")" = 0 ]; then  # the disk writes while the CPU hashes
    sync "$tmp" 2> /dev/null & flushing=$!
    digest < "$tmp" > "$t.sum"; wait "$flushing"
  fi
fi
if [ "$(cat "$t.enc" 2>/dev/null)" != 0 ]; then
  out=$(cat "$t.encerr" 2>/dev/null); rm -f "$t".*
  fail "encrypting the dump failed (is openssl in the image?): ${out:-no message}"
fi
if [ "$(cat "$t.teed" 2>/dev/null)" != 0 ]; then  # busybox tee says only "I/O error"
  out=$(cat "$t.tee" 2>/dev/null); rm -f "$t".* "$tmp"
  free=$(df -k "$dir" | awk 'NR == 2 { print $4 }')
  fail "writing the dump into the backup directory failed, is its disk full? (${free:-?} KB" \
    "free now): $out"
fi
if [ "$(cat "$t.dump" 2>/dev/null)" != 0 ]; then
  out=$(cat "$t.err" 2>/dev/null); rm -f "$t".*
  free=$(df -k "$dir" | awk 'NR == 2 { print $4 }')  # with the partial file still there
  if [ -n "$free" ] && [ "$free" -lt 64 ]; then
    rm -f "$tmp"; free=$(df -k "$dir" | awk 'NR == 2 { print $4 }')
    fail "writing the dump into the backup directory failed, is its disk full? (${free:-?} KB" \
      "free now): $out"
  fi
  fail "${out:-the dump failed}"
fi
sum=$(cat "$t.sum"); rm -f "$t".*
[ -n "$sum" ] || fail "cannot read the dump back for its sha256"
[ -s "$tmp" ] || fail "the dump is empty"
encrypted=false
[ -z "${DOCKYARD_BACKUP_KEY:-}" ] || encrypted=true
check_$KIND
size=$(stat -c %s "$tmp")
printf '{"file": "%s", "kind": "%s", "size": %s, "sha256": "%s", "created": %s, ' \
  "${final##*/}" "$KIND" "$size" "$sum" "$(date -u +%s)" > "$final.json.tmp" &&
printf '"entries": %s, "encrypted": %s}\n' "$entries" "$encrypted" >> "$final.json.tmp" ||
  fail "cannot write the manifest (disk full?)"
# only these files reach the disk first (a global sync would wait for the whole machine's writes)
sync "$tmp" "$final.json.tmp" || fail "cannot flush the dump to disk"
mv "$tmp" "$final" && mv "$final.json.tmp" "$final.json" || fail "cannot rename the dump"
sync "$dir" 2>/dev/null
if [ -n "${S3_URL:-}" ]; then  # the store keeps the backups; this directory was only the workbench
  out=$(sh /dockyard/s3.sh put "${final##*/}" 2>&1)
  ok=$?
  rm -f "$final" "$final.json"
  [ "$ok" -eq 0 ] || fail "$out"
  record last-success "$(date -u +%s) ${final##*/}"
  sh /dockyard/s3.sh prune ||
    echo "warning: the backup is stored, but pruning old ones (or moving their class) failed" >&2
  echo "${final##*/} $size"
  exit 0
fi
record last-success "$(date -u +%s) ${final##*/}"
# retention, newest first: keep $KEEP, and none older than $MAX_AGE seconds (the newest stays)
now=$(date -u +%s)
n=0
for manifest in $(ls -1 "$dir" | grep -E "^$PREFIX-[0-9TZ]+\.$EXT\.json\$" | sort -r); do
  n=$((n + 1))
  [ "$n" -eq 1 ] && continue
  created=$(sed -n 's/.*"created": \([0-9]*\).*/\1/p' "$dir/$manifest")
  if [ "$n" -gt "$KEEP" ] || { [ -n "$MAX_AGE" ] && [ $((now - ${created:-0})) -gt "$MAX_AGE" ]; }
  then
    rm -f "$dir/${manifest%.json}" "$dir/$manifest"
  fi
done
echo "${final##*/} $size"
"""

SCHEDULE_SH = r"""#!/bin/sh
# dockyard: run backup.sh when the minute (UTC) matches the CRON_* sets; otherwise sleep.
in_set() { case "$2" in *" $1 "*) return 0 ;; esac; return 1; }
trap 'exit 0' TERM INT
while :; do
  s=$(date -u +%S); s=${s#0}
  sleep $((60 - s)) & wait $!
  [ -n "${CRON_MINUTES:-}" ] || continue
  set -- $(date -u +'%M %H %d %m %w')
  m=${1#0}; h=${2#0}; d=${3#0}; mo=${4#0}; w=$5
  in_set "$m" "$CRON_MINUTES" && in_set "$h" "$CRON_HOURS" && in_set "$mo" "$CRON_MONTHS" ||
    continue
  if [ "$CRON_DAY_OR" = 1 ]; then
    in_set "$d" "$CRON_DAYS" || in_set "$w" "$CRON_WEEKDAYS" || continue
  else
    in_set "$d" "$CRON_DAYS" && in_set "$w" "$CRON_WEEKDAYS" || continue
  fi
  # then, when the config asks for it (VERIFY_AFTER) and one is due, the newest backup verified
  sh /dockyard/backup.sh >> /backups/.schedule.log 2>&1 && [ -n "${VERIFY_AFTER:-}" ] &&
    sh /dockyard/verify.sh due && sh /dockyard/verify.sh >> /backups/.schedule.log 2>&1
  tail -n 500 /backups/.schedule.log > /backups/.schedule.log.tmp &&
    mv -f /backups/.schedule.log.tmp /backups/.schedule.log
done
"""


def space_padded(values: frozenset[int]) -> str:
    """` 0 15 30 45 `: a set a shell loop tests with `case " $v "` or awk's index()."""
    return " " + " ".join(str(v) for v in sorted(values)) + " "


def shell_sets(schedule: CronSchedule) -> dict[str, str]:
    """The schedule as space-padded lists for a shell loop (the backup container's, the job
    scheduler's)."""
    return {
        "CRON_MINUTES": space_padded(schedule.minutes),
        "CRON_HOURS": space_padded(schedule.hours),
        "CRON_DAYS": space_padded(schedule.days),
        "CRON_MONTHS": space_padded(schedule.months),
        "CRON_WEEKDAYS": space_padded(schedule.weekdays),
        "CRON_DAY_OR": "1" if schedule.days_restricted and schedule.weekdays_restricted else "0",
    }

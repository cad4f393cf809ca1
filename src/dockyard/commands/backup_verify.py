"""The scheduled verify the backup container runs (pure text; POSIX sh, busybox or Debian's dash).

verify.sh       verify the newest Postgres backup where it is kept (the backup directory, or the
                S3 store through s3.sh), as `dockyard accessory verify` does: its sha256 matches
                its manifest; decrypted with the key when it is encrypted; pg_restore loads
                it whole (--exit-on-error) into a throwaway Postgres server started in this
                container (a cluster of its own in $TMPDIR or /tmp, no TCP, removed after);
                every table the dump holds data for has exactly the rows the dump recorded.
                The result goes to /backups/.last-verify (`<unix seconds> ok <file> (what
                matched)` or `<unix seconds> failed <file>: why`), which `details` and
                `accessory details` read.
verify.sh due   exit 0 when a verify is due: none recorded, the last one failed, or it is at least
                VERIFY_AFTER seconds old. schedule.sh asks this after each scheduled backup.

The throwaway server runs as the image's postgres user (Postgres refuses root), through the
image's `su`; verify.sh runs itself as that user for `pg-start DIR BIN` and `pg-stop DIR BIN`.
"""

from __future__ import annotations

import shlex

from dockyard.commands.backup import TABLE_COUNTS_SQL

_VERIFY_SH = r"""#!/bin/sh
# dockyard: verify the newest backup in a throwaway Postgres server (see commands/backup_verify.py)
set -u
dir=/backups
case "${1:-}" in
  pg-start)  # as postgres: a cluster in $2 with its socket there and no TCP
    "$3/initdb" -D "$2/data" -U verify -A trust -E UTF8 --locale=C --no-sync \
      > "$2/initdb.log" 2>&1 || { tail -n 3 "$2/initdb.log" >&2; exit 1; }
    "$3/pg_ctl" -D "$2/data" -l "$2/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $2 -c fsync=off" start > /dev/null 2>&1 ||
      { tail -n 3 "$2/server.log" >&2; exit 1; }
    exit 0 ;;
  pg-stop) "$3/pg_ctl" -D "$2/data" -m immediate stop > /dev/null 2>&1; exit 0 ;;
  due)
    set -- $(cat "$dir/.last-verify" 2>/dev/null)
    [ "${2:-}" = ok ] || exit 0
    [ $(($(date -u +%s) - ${1:-0})) -ge "${VERIFY_AFTER:-0}" ]
    exit $? ;;
esac
w="${TMPDIR:-/tmp}/.dockyard-verify-$$"
file=""
fetched=""
bin=""
cleanup() {
  [ -n "$bin" ] && [ -f "$w/data/postmaster.pid" ] &&
    su postgres -s /bin/sh -c "sh /dockyard/verify.sh pg-stop $w $bin"
  rm -rf "$w"
  [ -z "$fetched" ] || rm -f "$dir/$fetched"
}
trap cleanup EXIT
trap 'exit 1' TERM INT
record() {
  printf '%s %s\n' "$(date -u +%s)" "$(printf '%s' "$1" | tr '\n' ' ' | cut -c1-400)" \
    > "$dir/.last-verify.tmp$$" && mv -f "$dir/.last-verify.tmp$$" "$dir/.last-verify"
}
fail() {
  record "failed ${file:-the newest backup}: $*"
  echo "verify failed: $*" >&2
  exit 1
}
field() { sed -n "s/.*\"$1\": \"\{0,1\}\([^\",}]*\).*/\1/p"; }
digest() {
  if command -v openssl > /dev/null 2>&1; then openssl dgst -sha256 -r; else sha256sum; fi |
    cut -d' ' -f1
}
mkdir -p "$w" || fail "cannot make $w"
[ "$KIND" = postgres ] || fail "the scheduled verify is for postgres backups; run" \
  "\`dockyard accessory verify\`"
if [ -n "${S3_URL:-}" ]; then
  manifest=$(sh /dockyard/s3.sh list 2> "$w/err" | head -n 1)
  [ -s "$w/err" ] && fail "$(tail -n 1 "$w/err")"
else
  newest=$(ls -1 "$dir" | grep -E "^$PREFIX-[0-9TZ]+\.$EXT\.json\$" | sort -r | head -n 1)
  manifest=$([ -n "$newest" ] && tr -d '\n' < "$dir/$newest")
fi
[ -n "$manifest" ] || fail "no backup to verify"
file=$(printf '%s' "$manifest" | field file)
sum=$(printf '%s' "$manifest" | field sha256)
encrypted=$(printf '%s' "$manifest" | field encrypted)
case "$file" in "$PREFIX"-*."$EXT") ;; *) fail "the newest manifest names no backup" ;; esac
source="$dir/$file"
if [ -n "${S3_URL:-}" ]; then
  fetched=".verify-$$-$file"
  out=$(sh /dockyard/s3.sh get "$file" "$fetched" 2>&1) || fail "$out"
  source="$dir/$fetched"
fi
[ "$(digest < "$source")" = "$sum" ] || fail "its sha256 does not match its manifest"
if [ "$encrypted" = true ]; then
  [ -n "${DOCKYARD_BACKUP_KEY:-}" ] || fail "it is encrypted and the key is not set"
  openssl enc -d -aes-256-cbc -pbkdf2 -iter 200000 -pass env:DOCKYARD_BACKUP_KEY \
    -in "$source" -out "$w/plain" 2> /dev/null || fail "it does not decrypt with the key"
  source="$w/plain"
fi
pg_restore --data-only -f - "$source" 2> "$w/err" | awk '
  /^COPY / {t=$2; n=0; inside=1; next} inside && /^\\\.$/ {print t, n; inside=0; next}
  inside {n++}' | sort > "$w/recorded"
[ -s "$w/err" ] && fail "the dump cannot be read: $(tail -n 1 "$w/err")"
bin=$(dirname "$(command -v pg_ctl)")
chown postgres "$w" && chmod 700 "$w" || fail "cannot give $w to the postgres user"
out=$(su postgres -s /bin/sh -c "sh /dockyard/verify.sh pg-start $w $bin" 2>&1) ||
  fail "the throwaway Postgres did not start: $out"
out=$(pg_restore --exit-on-error --no-owner --no-acl -h "$w" -U verify -d postgres "$source" \
  2>&1) || fail "the dump does not load: $(printf '%s' "$out" | tail -n 2)"
printf '%s\n' @TABLE_COUNTS_SQL@ |
  psql -X -q -At -v ON_ERROR_STOP=1 -h "$w" -U verify -d postgres 2> "$w/err" |
  sort > "$w/restored"
[ -s "$w/err" ] && fail "cannot count the rows: $(tail -n 1 "$w/err")"
differ=$(awk -v f="$w/restored" 'BEGIN { while ((getline l < f) > 0) have[l] = 1 }
  !($0 in have)' "$w/recorded" | head -n 5 | tr '\n' ';')
[ -z "$differ" ] || fail "restored rows differ from the dump's (table rows as dumped): $differ"
tables=$(wc -l < "$w/recorded" | tr -d ' ')
rows=$(awk '{s += $2} END {print s + 0}' "$w/recorded")
record "ok $file (scheduled: $tables table(s), $rows row(s) match)"
echo "$file verified: $tables table(s), $rows row(s) match"
"""

VERIFY_SH = _VERIFY_SH.replace("@TABLE_COUNTS_SQL@", shlex.quote(TABLE_COUNTS_SQL))

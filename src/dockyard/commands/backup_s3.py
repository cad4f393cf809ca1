"""Backups in an S3-compatible store (pure): the script the backup container runs, its env, and
the commands that run it.

s3.sh runs in the backup container (the accessory's image, which needs curl 7.75 or later for
`--aws-sigv4`) and speaks S3 over HTTP(S) with AWS Signature V4:

    s3.sh put FILE        upload /backups/FILE and then FILE.json (the manifest), check the
                          stored size; a backup counts only once its manifest is in the store
    s3.sh list            every manifest in the store (one JSON line each), newest first
    s3.sh get FILE DEST   download FILE to /backups/DEST (through DEST.partial, then a rename)
    s3.sh prune           retention in the store: KEEP newest, none older than MAX_AGE seconds
                          (the newest always stays); then, with S3_STORAGE_CLASS, backups
                          S3_CLASS_AFTER seconds old (by the time in their name) are copied
                          onto themselves in that class (CopyObject); only run after a
                          successful upload

The credentials come from the environment (DOCKYARD_S3_ACCESS_KEY_ID, _SECRET_ACCESS_KEY, set
from the 0600 key env file) and reach curl as a config on its standard input (`-K -`), so they
are never on a command line. Every failure is one line on stderr and exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.commands.base import Cmd, HomePath, cmd
from dockyard.config.backups import S3Target
from dockyard.engine import Engine

ACCESS_KEY_ENV = "DOCKYARD_S3_ACCESS_KEY_ID"
SECRET_KEY_ENV = "DOCKYARD_S3_SECRET_ACCESS_KEY"

S3_SH = r"""#!/bin/sh
# dockyard: backups in an S3-compatible store (see commands/backup_s3.py)
set -u
dir=/backups
t="/tmp/.dockyard-s3-$$"
trap 'rm -f "$t".*' EXIT
die() { printf '%s\n' "$*" | tr '\n' ' ' | cut -c1-400 >&2; echo >&2; exit 1; }
command -v curl >/dev/null 2>&1 ||
  die "curl is not in the accessory's image; S3 targets need curl 7.75 or later there"
[ -n "${DOCKYARD_S3_ACCESS_KEY_ID:-}" ] && [ -n "${DOCKYARD_S3_SECRET_ACCESS_KEY:-}" ] ||
  die "the store's access key id or secret access key is not set (the secrets are empty)"
quoted() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
# req WHAT ARGS...: one signed request; the body lands in $t.body, the HTTP status in $code
req() {
  what=$1; shift
  code=$({ printf 'user = "%s:%s"\n' "$(quoted "$DOCKYARD_S3_ACCESS_KEY_ID")" \
      "$(quoted "$DOCKYARD_S3_SECRET_ACCESS_KEY")"; } |
    curl -sS -K - --aws-sigv4 "aws:amz:$S3_REGION:s3" --connect-timeout 10 \
      --speed-limit 1 --speed-time 60 -o "$t.body" -w '%{http_code}' "$@" 2> "$t.err")
  rc=$?
  if [ "$rc" -ne 0 ]; then
    die "the store at $S3_ENDPOINT cannot be reached ($what): $(tail -n 1 "$t.err")"
  fi
  case "$code" in 2??) return 0 ;; esac
  err=$(tr '<' '\n' < "$t.body" | sed -n 's/^Code>//p' | head -n 1)
  case "$err" in
    SignatureDoesNotMatch|InvalidAccessKeyId|AccessDenied|InvalidToken|AuthorizationHeaderMalformed)
      hint="check the access_key_id, secret_access_key and region secrets/settings" ;;
    NoSuchBucket) hint="create the bucket $S3_BUCKET in the store first" ;;
    *) hint="" ;;
  esac
  die "the store refused $what: HTTP $code ${err:-no error code}${hint:+; $hint}"
}
key() { printf '%s%s' "${S3_KEY_PREFIX:-}" "$1"; }
put() {
  [ -s "$dir/$1" ] && [ -s "$dir/$1.json" ] || die "$1 or its manifest is missing in $dir"
  if [ -n "${S3_UPLOAD_CLASS:-}" ]; then
    req "the upload of $1" -H "x-amz-storage-class: $S3_UPLOAD_CLASS" -T "$dir/$1" \
      "$S3_URL/$(key "$1")"
  else
    req "the upload of $1" -T "$dir/$1" "$S3_URL/$(key "$1")"
  fi
  req "a look at $1" -I "$S3_URL/$(key "$1")"
  stored=$(tr -d '\r' < "$t.body" | sed -n 's/^[Cc]ontent-[Ll]ength: *//p' | head -n 1)
  size=$(stat -c %s "$dir/$1")
  [ "$stored" = "$size" ] || die "the store holds ${stored:-?} bytes of $1, not $size"
  req "the upload of $1.json" -T "$dir/$1.json" "$S3_URL/$(key "$1.json")"
}
manifests() {  # the names of the backups whose manifests are in the store, newest first
  enc=$(key "$PREFIX-" | sed 's|/|%2F|g')
  req "the listing of the backups" "$S3_URL?list-type=2&prefix=$enc"
  tr '<' '\n' < "$t.body" | sed -n 's/^Key>//p' | sed "s|^${S3_KEY_PREFIX:-}||" |
    grep -E "^$PREFIX-[0-9TZ]+\.$EXT\.json\$" | sort -r
}
list() {
  names=$(manifests) || exit 1
  for m in $names; do
    req "the download of $m" "$S3_URL/$(key "$m")"
    tr -d '\n' < "$t.body"; echo
  done
}
get() {
  req "the download of $1" "$S3_URL/$(key "$1")"
  mv -f "$t.body" "$dir/$2.partial" && mv -f "$dir/$2.partial" "$dir/$2" ||
    { rm -f "$dir/$2.partial"; die "cannot write $2 into $dir (disk full?)"; }
}
prune() {
  now=$(date -u +%s)
  names=$(manifests) || exit 1
  n=0
  for m in $names; do
    n=$((n + 1))
    [ "$n" -eq 1 ] && continue
    if [ "$n" -gt "$KEEP" ]; then
      :
    elif [ -n "$MAX_AGE" ]; then
      req "the download of $m" "$S3_URL/$(key "$m")"
      created=$(sed -n 's/.*"created": \([0-9]*\).*/\1/p' "$t.body")
      [ $((now - ${created:-0})) -gt "$MAX_AGE" ] || continue
    else
      continue
    fi
    # the manifest first: a backup without one is not listed, so a half-done delete hides it
    req "the deletion of $m" -X DELETE "$S3_URL/$(key "$m")"
    req "the deletion of ${m%.json}" -X DELETE "$S3_URL/$(key "${m%.json}")"
  done
}
older_to_class() {  # backups (not manifests) S3_CLASS_AFTER seconds old, copied onto themselves
  [ -n "${S3_STORAGE_CLASS:-}" ] && [ -n "${S3_CLASS_AFTER:-}" ] || return 0
  now=$(date -u +%s)
  enc=$(key "$PREFIX-" | sed 's|/|%2F|g')
  req "the listing of the backups" "$S3_URL?list-type=2&prefix=$enc"
  tr '<' '\n' < "$t.body" | awk '/^Contents>/ { k = ""; c = "STANDARD" }
    /^Key>/ { k = substr($0, 5) } /^StorageClass>/ { c = substr($0, 14) }
    /^\/Contents>/ { print k, c }' > "$t.classes"
  while read -r k c; do
    name=${k#"${S3_KEY_PREFIX:-}"}
    case "$name" in "$PREFIX"-*."$EXT") ;; *) continue ;; esac
    [ "$c" != "$S3_STORAGE_CLASS" ] || continue
    made=$(printf '%s' "${name#"$PREFIX"-}" |
      sed -n 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z\..*/\1-\2-\3 \4:\5:\6/p')
    made=$(date -u -d "$made" +%s 2>/dev/null) || continue
    [ $((now - made)) -ge "$S3_CLASS_AFTER" ] || continue
    req "the move of $name to $S3_STORAGE_CLASS" -X PUT \
      -H "x-amz-storage-class: $S3_STORAGE_CLASS" -H "x-amz-copy-source: /$S3_BUCKET/$k" \
      -H "x-amz-metadata-directive: REPLACE" "$S3_URL/$k"
    ! grep -q '<Error>' "$t.body" || die "the store refused the move of $name to $S3_STORAGE_CLASS"
  done < "$t.classes"
}
case "${1:-}" in
  put) put "$2" ;;
  list) list ;;
  get) get "$2" "$3" ;;
  prune) prune; older_to_class ;;
  *) die "usage: s3.sh put FILE | list | get FILE DEST | prune" ;;
esac
"""


def s3_env(target: S3Target) -> dict[str, str]:
    """Where the store is (no secrets): for the backup container and each exec into it. The
    storage class goes with the upload (S3_UPLOAD_CLASS), or, with storage_class_after, to
    backups that old (S3_STORAGE_CLASS, S3_CLASS_AFTER seconds)."""
    env = {
        "S3_URL": target.base_url, "S3_ENDPOINT": target.endpoint, "S3_BUCKET": target.bucket,
        "S3_KEY_PREFIX": target.prefix, "S3_REGION": target.region,
    }  # fmt: skip
    if target.storage_class and target.storage_class_after is None:
        env["S3_UPLOAD_CLASS"] = target.storage_class
    elif target.storage_class:
        env["S3_STORAGE_CLASS"] = target.storage_class
        env["S3_CLASS_AFTER"] = str(target.storage_class_after)
    return env


def key_env(
    encryption_key: str | None, target: S3Target | None, secrets: Mapping[str, str]
) -> dict[str, str]:
    """What goes into the backup container's 0600 key env file: the encryption key and the
    store's credentials, from the named secrets."""
    env = {}
    if encryption_key:
        env["DOCKYARD_BACKUP_KEY"] = secrets[encryption_key]
    if target:
        env[ACCESS_KEY_ENV] = secrets[target.access_key_id]
        env[SECRET_KEY_ENV] = secrets[target.secret_access_key]
    return env


def exec_script(
    engine: Engine, container: str, env: Mapping[str, str], key_file: str | None, *args: str
) -> Cmd:
    """A script in the backup container with the settings and secrets as they are now (the
    env given here wins over the container's own, set when it was made)."""
    return cmd(
        engine.name, "exec",
        *[x for k, v in env.items() for x in ("--env", f"{k}={v}")],
        *(["--env-file", HomePath(key_file)] if key_file else []),
        container, "sh", *args,
    )  # fmt: skip

"""The certificate mover of two ACME edges (pure): renewals reach the other edge without dockyard.

Both edges hold one private key (the first edge's, copied with its certificate at the first
boot; every renewal reuses it: commands/edge_acme.py). Each edge serves the certificates in its
storage to the other on its plain HTTP port, at CERTIFICATES_PATH (`.crt` and `.json` files
only: public data, never a key). Every minute the host's cron runs MOVER_SH in the edge's state
dir: each certificate the other edge serves that is for the key this edge holds and expires
later than this edge's replaces this edge's in its storage (its `.json` too). Caddy takes it
there at its next renewal check, instead of ordering one: an edge whose renewal window opens
after the other edge renewed serves the other's renewal, and nothing is ordered twice. No
config is loaded (no reload).

The script needs bash (its /dev/tcp), openssl, date, flock and timeout on the host, as Debian
and Ubuntu have them; without openssl it moves nothing and says so in mover.log.
"""

from __future__ import annotations

import shlex

from dockyard.commands import crontab
from dockyard.commands.base import Raw
from dockyard.commands.edge import MOVER_MARK as MARK
from dockyard.commands.edge import STATE_DIR

CERTIFICATES_PATH = "/.well-known/dockyard-edge/certificates/"

MOVER_SH = r"""# dockyard: the load balancer edge's certificate mover (commands/edge_mover.py)
set -u
. ./mover.env
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
command -v openssl > /dev/null || { echo "$(now) no openssl on this host: nothing moved"; exit 0; }
fetch() {  # the other edge's file $1 (under its certificates) on stdout; 1 unless a 200
  exec 3<> "/dev/tcp/$PEER/$PORT" || return 1
  printf 'GET %s%s HTTP/1.0\r\nHost: %s\r\n\r\n' "$CERTIFICATES" "$1" "$PEER" >&3
  IFS= read -r status <&3 || { exec 3<&-; return 1; }
  case "$status" in "HTTP/1."?" 200"*) ;; *) exec 3<&-; return 1 ;; esac
  while IFS= read -r line <&3; do [ -z "${line%$'\r'}" ] && break; done
  cat <&3
  exec 3<&-
}
expiry() { date -d "$(openssl x509 -noout -enddate -in "$1" | cut -d= -f2)" +%s; }
for key in acme/certificates/*/*/*.key; do
  [ -f "$key" ] || continue
  base=${key%.key}
  name=${base#acme/certificates/}
  fetch "$name.crt" > mover.crt 2> /dev/null || continue
  theirs=$(openssl x509 -noout -pubkey -in mover.crt 2> /dev/null) || continue
  [ "$theirs" = "$(openssl pkey -pubout -in "$key" 2> /dev/null)" ] || continue
  [ "$(expiry mover.crt)" -gt "$(expiry "$base.crt" 2> /dev/null || echo 0)" ] || continue
  if fetch "$name.json" > mover.json 2> /dev/null; then mv -f mover.json "$base.json"; fi
  mv -f mover.crt "$base.crt"
  echo "$(now) $name: the other edge's, expires $(openssl x509 -noout -enddate -in "$base.crt")"
done
rm -f mover.crt mover.json
"""


def crontab_line() -> str:
    """Every minute, in the edge's state dir (where mover.env says the other edge is), one
    mover at a time, at most 50 s."""
    return (
        f'* * * * * PATH={crontab.CRON_PATH}; cd "$HOME/{STATE_DIR}" 2> /dev/null && '
        "[ -f mover.env ] && { flock -n mover.lock timeout 50 bash mover.sh >> mover.log 2>&1; "
        f"tail -n 200 mover.log > mover.log.tmp && mv -f mover.log.tmp mover.log; }} {MARK}"
    )


def install(peer: str, port: int) -> Raw:
    """The mover set up on an edge: the script from standard input (MOVER_SH), where the
    other edge is, the crontab line (NO_RESTART_MARK and why when it could not be set: the
    edges then renew each on its own)."""
    settings = f"PEER={peer}\\nPORT={port}\\nCERTIFICATES={CERTIFICATES_PATH}\\n"
    return Raw(
        f'mkdir -p "$HOME/{STATE_DIR}" && cd "$HOME/{STATE_DIR}" && '
        "cat > mover.sh.tmp && mv -f mover.sh.tmp mover.sh && "
        f"printf {shlex.quote(settings)} > mover.env && "
        f"{{ {crontab.set_lines(MARK, [crontab_line()])}; }}"
    )

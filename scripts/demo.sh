#!/usr/bin/env bash
# The README's first command: a lab of 2 local servers, then the example app (examples/demo)
# set up and deployed to it with zero downtime, answering through the proxy, redeployed under
# load, and rolled back. Needs root on Linux. Re-running works (the demo lab is made anew).
# (DEMO_NAME / DEMO_SUBNET choose another lab, e.g. to try this beside a running one.)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
DY=$ROOT/.venv/bin/dockyard
NAME=${DEMO_NAME:-dockyard}
SUBNET=${DEMO_SUBNET:-10.77.0.0/24}
export LAB_DIR=${DOCKYARD_LAB_DIR:-/var/lib/dockyard-lab/$NAME}
export LAB_PREFIX=${SUBNET%.*}   # examples/demo/config/deploy.yml reads both (ERB)
S1=$LAB_PREFIX.11 S2=$LAB_PREFIX.12
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

$DY lab down --name "$NAME" >/dev/null
step dockyard lab up --servers 2 --name "$NAME" --subnet "$SUBNET"
$DY lab up --servers 2 --name "$NAME" --subnet "$SUBNET"

cd "$ROOT/examples/demo"
step "cd examples/demo; cat config/deploy.yml   # a plain Kamal config"
sed -n '1,200p' config/deploy.yml | grep -v '^#'
step "dockyard setup -P --version v1   # -P: the image is already in the lab's registry"
$DY setup -P --version v1
for ip in $S1 $S2; do
  step "curl -H 'Host: demo.test' http://$ip/   # through Caddy on $ip"
  curl -s -H 'Host: demo.test' "http://$ip/"
done

step "dockyard deploy -P --version v2   # while a loop requests the app every 10 ms"
load() {  # bounded: stops when the deploy is done (or after 60 s)
  local ok=0 failed=0 end=$((SECONDS + 60))
  while [ ! -e /tmp/dockyard-demo.done ] && [ $SECONDS -lt $end ]; do
    if [ "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Host: demo.test' "http://$S1/")" = 200 ]
    then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    sleep 0.01
  done
  echo "requests during the deploy: $ok answered, $failed failed"
}
rm -f /tmp/dockyard-demo.done
load & LOAD=$!
$DY deploy -P --version v2
touch /tmp/dockyard-demo.done; wait $LOAD; rm -f /tmp/dockyard-demo.done
step "curl -H 'Host: demo.test' http://$S1/"
curl -s -H 'Host: demo.test' "http://$S1/"
step dockyard app version
$DY app version
step "dockyard rollback   # back to the version that served before"
$DY rollback
curl -s -H 'Host: demo.test' "http://$S1/"
step dockyard audit -p
$DY audit -p
printf '\nThe lab stays up: try `eval "$(%s lab env --name %s)"; cd examples/demo; dockyard app details`.\n' \
  "$DY" "$NAME"
printf 'Deploy an app of your own to it: docs/getting-started.md. Take it all down with `%s lab down --name %s`.\n' \
  "$DY" "$NAME"

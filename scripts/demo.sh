#!/usr/bin/env bash
# The README's first command: a lab of 2 local servers, shown. Needs root on Linux.
# Re-running works: the previous demo lab is taken down first. The lab stays up afterwards.
# (DEMO_NAME / DEMO_SUBNET choose another lab, e.g. to try this beside a running one.)
set -euo pipefail
cd "$(dirname "$0")/.."
DY=.venv/bin/dockyard
NAME=${DEMO_NAME:-dockyard}
SUBNET=${DEMO_SUBNET:-10.77.0.0/24}
DIR=${DOCKYARD_LAB_DIR:-/var/lib/dockyard-lab/$NAME}
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

$DY lab down --name "$NAME" >/dev/null
step dockyard lab up --servers 2 --name "$NAME" --subnet "$SUBNET"
$DY lab up --servers 2 --name "$NAME" --subnet "$SUBNET"
step dockyard lab status --name "$NAME"
$DY lab status --name "$NAME"
for host in s1 s2; do
  step ssh -F "$DIR/ssh_config" "$host" 'hostname; docker info --format ...'
  ssh -F "$DIR/ssh_config" "$host" \
    'echo "logged in to $(hostname) (host key checked), engine: $(docker info --format "{{.ServerVersion}}")"'
done
step ssh -F "$DIR/ssh_config" s1 docker run -d --name hello -p 80:80 registry.lab:5000/demo:v1
ssh -F "$DIR/ssh_config" s1 'docker run -d -q --name hello -p 80:80 registry.lab:5000/demo:v1 >/dev/null
  docker ps --format "{{.Names}}  {{.Image}}  {{.Status}}"'
IP=$(ssh -F "$DIR/ssh_config" s1 'hostname -i' | awk '{print $1}')
step "wget -qO- http://$IP/   # from this machine"
busybox wget -qO- "http://$IP/"
step ssh -F "$DIR/ssh_config" s2 docker ps -a
ssh -F "$DIR/ssh_config" s2 'docker ps -a --format "{{.Names}}"; echo "(s2 has its own engine: no containers)"'
printf '\nThe lab stays up. Log in: %s lab ssh --name %s s1 ; take it down: %s lab down --name %s\n' \
  "$DY" "$NAME" "$DY" "$NAME"

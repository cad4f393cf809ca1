#!/usr/bin/env bash
# Runs every benchmark; each prints its ratio and writes its figures under bench/results/.
set -euo pipefail
cd "$(dirname "$0")/../bench"
PY=../.venv/bin/python
for b in startup config lab deploy caddy_reload deliver backup backup_s3 lb cron_idle swarm_update; do
  $PY "$b.py"
done

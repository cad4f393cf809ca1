#!/usr/bin/env bash
# The whole check: format, lint, types, then every test (unit, oracle, end-to-end on the lab).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
start=$(date +%s)
$BIN/ruff format --check src tests bench
$BIN/ruff check src tests bench
$BIN/mypy --strict src
$BIN/pytest -q -p no:cacheprovider --timeout=600 "$@"
echo "checks and tests took $(( $(date +%s) - start ))s"

#!/usr/bin/env bash
# The whole check: format, lint, types, then every test (unit, oracle, end-to-end on the lab).
#
# The tests run on DOCKYARD_TEST_WORKERS pytest-xdist workers (default 4: on 2 cores, as many of
# the lab tests wait on timers and servers; 18 min 50 s against 22 min 6 s with 3) with --dist loadgroup:
# the tests of one lab are one group, run in order on one worker, so independent labs run side
# by side and the quick tests fill the gaps (tests/e2e/labs.py names each worker's labs apart;
# DOCKYARD_TEST_LABS=N shifts them all for a second checkout on the same machine). The longest
# groups start first (tests/e2e/labs.py GROUP_SECONDS; scripts/group-times.py measures them from
# the run's report, .test-report.xml). Extra arguments go to pytest (e.g. `-n 1`, `-k deploy`).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
start=$(date +%s)
$BIN/ruff format --check src tests bench
$BIN/ruff check src tests bench
$BIN/mypy --strict src
echo "lint and types took $(( $(date +%s) - start ))s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
$BIN/pytest -p no:cacheprovider --timeout=600 -n "${DOCKYARD_TEST_WORKERS:-4}" --dist loadgroup \
  --durations=15 --junitxml=.test-report.xml "$@"
echo "checks and tests took $(( $(date +%s) - start ))s; load average $(cut -d' ' -f1-3 /proc/loadavg)"

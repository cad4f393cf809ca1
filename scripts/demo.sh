#!/usr/bin/env bash
# The README's first command. For now the lab is not built: say so and fail.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/dockyard lab up --servers 2

# One entry point for developers and CI. Every target installs what it needs first.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup system venv demo test check lint typecheck unit e2e bench clean

setup: system venv

system:
	@bash scripts/install-system.sh

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# The README's first command: a lab of local servers, shown.
demo: setup
	@bash scripts/demo.sh

# The README's second command, and exactly what .ci/run runs.
test: setup
	@bash scripts/test.sh

lint: venv
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: venv
	$(BIN)/mypy --strict src

# the fast tests, on both cores (DOCKYARD_UNIT_WORKERS=0 runs them in one process)
unit: venv
	$(BIN)/pytest -q -m "not e2e and not oracle" -n $${DOCKYARD_UNIT_WORKERS:-2} --durations=10

# the lab tests on pytest-xdist workers, one group per lab (see scripts/test.sh)
e2e: setup
	$(BIN)/pytest -q -m e2e -n $${DOCKYARD_TEST_WORKERS:-4} --dist loadgroup --durations=15

bench: setup
	@bash scripts/bench.sh

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache

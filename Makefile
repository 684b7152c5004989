# The two commands in the README. Both set everything up first (idempotent, fast when done).
PY := .venv/bin/python

.PHONY: setup run test lint bench clean

setup:
	@bash scripts/setup.sh

## Run the default matrix against the embedded reference app and write the compatibility report.
run: setup
	@$(PY) -m compat_harness run --profile default

## Set up and run the harness's self-tests.
test: setup
	@$(PY) -m pytest tests -n 2 --dist loadgroup

lint: setup
	@$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy

bench: setup
	@$(PY) bench/run.py

clean:
	rm -rf reports/*/ reports/latest test-results .setup-stamps

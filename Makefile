# The two commands in the README. Both set everything up first (idempotent, fast when done).
PY := .venv/bin/python

.PHONY: setup run test lint bench soak clean

setup:
	@bash scripts/setup.sh

## Run the default matrix against the embedded reference app and write the compatibility report.
run: setup
	@$(PY) -m compat_harness run --cell-set default

## Set up and run the harness's self-tests. Three workers on two cores: most self-tests run a
## child matrix whose failing journeys wait out timeouts, so a third keeps the cores busy.
test: setup
	@$(PY) -m pytest tests -n 3 --dist loadgroup

lint: setup
	@$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy

## Best of three per side: one run of each varies by about 5 % here, as much as the sentinels' target.
bench: setup
	@$(PY) bench/run.py --repeat 3

## Run the default cell set SOAK_RUNS times (default 10) with 1 and with 2 workers; list every flake.
soak: setup
	@$(PY) -m bench.soak

clean:
	rm -rf reports/*/ reports/latest test-results .setup-stamps

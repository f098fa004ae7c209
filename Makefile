# Two commands do all the set-up on a fresh machine (Python 3.11+ and make):
#   make demo   runs Leadrelay on the embedded default (SQLite) with the example team and a Slack stand-in
#   make test   lint, types, layering contracts and the test suite
#   (make test-fast is the same without the tests marked `slow`: under 30 s, for the inner loop)
# Both create .venv on first use. Set LEADRELAY_TEST_POSTGRES_URL to run the suite on PostgreSQL too.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Python writes each module's bytecode on first import, once for every later process. Where the
# environment turns that off, every test process and `leadrelay serve` recompiles all it imports
# (2 s a start instead of 0.8) and the slow tests take a third longer.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: demo simulate test test-fast fuzz lint bench mutate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# --no-compile: Python compiles each module the first time it is imported instead, a fraction of
	# the thousands pip would compile up front (half the install's time).
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadrelay --config examples/leadrelay.yml demo

simulate: $(STAMP)
	$(BIN)/leadrelay --config examples/leadrelay.yml simulate examples/leads.csv

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# One pytest worker per core (pytest-xdist); `make test WORKERS=0` runs in one process, for a debugger.
# The `slow` tests (real `leadrelay serve` processes, in real time) run after the rest, not beside it:
# the fast tests' load on two cores could starve their replicas past the tests' time bounds. Among
# themselves two at a time is safe: much of their time is waiting (an outbox lease, Slack's 1 post a second).
# In file order, not shuffled: a shuffle that leaves the 27 s two-replica test for last costs 20 s.
WORKERS ?= auto

test: lint
	$(BIN)/pytest -n $(WORKERS) --dist worksteal -m "not slow"
	$(BIN)/pytest -n $(WORKERS) --dist worksteal -p no:randomly -m slow

# The inner loop: lint plus every test not marked `slow` (no real processes, no long property runs).
test-fast: lint
	$(BIN)/pytest -n $(WORKERS) --dist worksteal -m "not slow"

# The fuzz tests with a large budget (make test runs them with a small one).
fuzz: $(STAMP)
	LEADRELAY_FUZZ_EXAMPLES=1000 $(BIN)/pytest tests/fuzz

bench: $(STAMP)
	$(BIN)/python -m bench.engine
	$(BIN)/python -m bench.intake
	$(BIN)/python -m bench.storage
	$(BIN)/python -m bench.sla
	$(BIN)/python -m bench.outage
	$(BIN)/python -m bench.simulate
	$(BIN)/python -m bench.scale

# Mutation testing of routing/ and the storage transitions (see TESTING.md); CPU-heavy, so two
# workers at most, and on SQLite only (each mutant's storage tests would otherwise run twice).
mutate: $(STAMP)
	env -u LEADRELAY_TEST_POSTGRES_URL nice -n 10 $(BIN)/mutmut run --max-children 2
	$(BIN)/python -m tests.mutation_report

clean:
	rm -rf mutants $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis

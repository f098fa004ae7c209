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

.PHONY: demo simulate test test-fast fast-tests slow-tests fuzz lint style types layers bench mutate clean

# uv installs the project into the venv in 3 s where pip takes 13 (same resolver inputs: pyproject.toml).
# It compiles nothing up front: Python compiles each module the first time it is imported. The venv gets
# no pip of its own (seeding one takes 3 s of the 5 a venv costs); the interpreter's pip puts uv in it,
# or, for an interpreter without pip (Debian's python3 without python3-pip), the venv's own.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet 'uv>=0.9,<1' 2>/dev/null \
	  || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install --quiet 'uv>=0.9,<1'; }
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/leadrelay --config examples/leadrelay.yml demo

simulate: $(STAMP)
	$(BIN)/leadrelay --config examples/leadrelay.yml simulate examples/leads.csv

lint: style types layers

style: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

# pytest-xdist workers. The fast tests wait on PostgreSQL and sockets a third of the time, so one worker
# more than there are cores keeps the cores busy (50 s → 44 s on 2). The `slow` tests (real `leadrelay
# serve` processes, in real time) keep to one per core, and run after the rest, not beside it: more load
# on two cores could starve their replicas past the tests' time bounds. Two at a time is safe: much of
# their time is waiting (an outbox lease, Slack's 1 post a second). Not shuffled but longest first, each
# worker taking the next module as it frees up (tests/conftest.py): in file order, one worker could
# draw the 22 s replica test last while the other sat idle.
# `make test WORKERS=0` runs everything in one process, for a debugger.
FAST_WORKERS = $(or $(WORKERS),$(shell $(PYTHON) -c 'import os; print((os.cpu_count() or 1) + 1)'))
SLOW_WORKERS = $(or $(WORKERS),auto)

# mypy (10 s of one core) runs beside the slow tests, which leave a core idle while they wait, rather
# than beside the fast ones, which keep both busy.
test: $(STAMP)
	$(MAKE) --no-print-directory --jobs --output-sync=line style layers fast-tests
	$(MAKE) --no-print-directory --jobs --output-sync=line types slow-tests

# The inner loop: lint plus every test not marked `slow` (no real processes, no long property runs).
test-fast: $(STAMP)
	$(MAKE) --no-print-directory --jobs --output-sync=line style types layers fast-tests

fast-tests: $(STAMP)
	$(BIN)/pytest -n $(FAST_WORKERS) --dist worksteal -m "not slow"

slow-tests: $(STAMP)
	$(BIN)/pytest -n $(SLOW_WORKERS) --dist loadscope --no-loadscope-reorder -p no:randomly -m slow

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

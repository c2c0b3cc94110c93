# The course's commands. `make lab` opens the course, `make test` runs every test.
# Both create .venv and install what they need on first use.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# requirements.txt: the direct pins; requirements.lock (`make lock`): the whole environment
# (every transitive dependency, pinned, with hashes), which is what gets installed.
LOCK := requirements.lock
UV ?= uv==0.13.9
LOCK_FLAGS ?=
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | cksum | cut -d' ' -f1)
# JupyterLab's app-level settings overrides (no news prompt), from jupyter/overrides.json
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json
DEFAULT_URL ?= /lab/tree/exercises/day0/0_1_getting_started.ipynb
PORT ?= 8888
LAB_FLAGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
JOBS ?= 2
# With JOBS parallel workers on 2 cores, NumPy's multi-threaded BLAS in each worker fights the
# others (a small NumPy training step: ~6 ms single-threaded, 22-150 ms with 2 threads under load).
PAR_ENV := OPENBLAS_NUM_THREADS=1
CELL_TIMEOUT ?= 300
NB ?= notebooks exercises
RECORDS := results/quick/exercise_records.jsonl

.PHONY: help install lab test lint unit ui-deps sandbox-deps notebooks-quick quick full exercises strip check \
  lock check-lock clean

help:
	@echo "make lab        open the course in JupyterLab (installs on first use)"
	@echo "make test       lint + unit tests + structure checks + every notebook in quick mode"
	@echo "make quick NB=… run notebooks in quick mode (default: all)"
	@echo "make full NB=…  run notebooks in full mode and refresh the README results table"
	@echo "make exercises  regenerate exercises/ from notebooks/ (and strip outputs)"
	@echo "make lock       re-resolve requirements.txt into requirements.lock (LOCK_FLAGS=--upgrade)"

$(STAMP): $(LOCK) pyproject.toml requirements.txt
	@$(MAKE) -s check-lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-*; touch $@

$(LAB_OVERRIDES): jupyter/overrides.json | $(STAMP)
	@mkdir -p $(@D) && cp $< $@

install: $(STAMP) $(LAB_OVERRIDES)

# Every pin of requirements.txt must be in the lock: after editing requirements.txt, `make lock`.
check-lock:
	@grep -vE '^\s*(#|$$)' requirements.txt | sed 's/[[:space:]]*#.*//' | while read -r pin; do \
	  name=$$(echo "$${pin%%==*}" | tr 'A-Z_' 'a-z-'); \
	  grep -qiE "^$${name}==$${pin##*==}( |$$)" $(LOCK) || { \
	    echo "$(LOCK) lacks $$pin of requirements.txt: run \`make lock\`" >&2; exit 1; }; \
	done

# Resolve requirements.txt into the lock: all platforms (--universal), Python 3.11, hashes from
# PyPI. Pins already in the lock are kept unless needed otherwise; LOCK_FLAGS=--upgrade refreshes.
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q $(UV)
	$(BIN)/uv pip compile requirements.txt --generate-hashes --universal --python-version 3.11 \
	  --custom-compile-command "make lock" --quiet $(LOCK_FLAGS) -o $(LOCK)

lab: install
	$(BIN)/python -m jupyterlab --ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir=$(CURDIR) \
	  --LabApp.default_url=$(DEFAULT_URL) $(ROOT_FLAG) $(LAB_FLAGS)

lint: install check-lock
	$(BIN)/ruff check .
	$(BIN)/python -m utils.notebooks check

# Debian's Chromium for tests/test_ui.py (installed when missing, as root with apt-get; without
# it the UI test is skipped, except with CI=true, where this fails).
ui-deps: install
	@$(BIN)/python -m tests.uikit install-chromium

sandbox-deps: install
	@$(BIN)/python -m tests.uikit install-bubblewrap

unit: install ui-deps sandbox-deps
	$(PAR_ENV) COURSE_MODE=quick $(BIN)/python -m pytest tests -n $(JOBS) --durations=10 -q -rs

# nbval executes every cell; checkers append their records to $(RECORDS), then `verify`
# asserts: every instructor exercise passes, every student copy is still a stub.
notebooks-quick: install
	@mkdir -p results/quick && rm -f $(RECORDS)
	$(PAR_ENV) COURSE_MODE=quick COURSE_RESULTS=$(CURDIR)/$(RECORDS) $(BIN)/python -m pytest --nbval-lax \
	  -n $(JOBS) --dist loadscope --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider \
	  --durations=0 --durations-min=5 -q $(NB)
	$(BIN)/python -m utils.checks verify $(RECORDS)

test: lint unit notebooks-quick

quick: install
	$(PAR_ENV) COURSE_MODE=quick $(BIN)/python -m pytest --nbval-lax -n $(JOBS) --dist loadscope \
	  --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider -q $(NB)

full: install
	COURSE_MODE=full $(BIN)/python -m pytest --nbval-lax -p no:cacheprovider \
	  --nbval-cell-timeout=1800 -q $(if $(filter notebooks exercises,$(NB)),notebooks,$(NB))
	$(BIN)/python -m utils.report table

exercises: install
	$(BIN)/python -m utils.notebooks exercises

strip: install
	$(BIN)/python -m utils.notebooks strip

clean:
	rm -rf results .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -prune -exec rm -rf {} +

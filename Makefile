# The course's commands. `make lab` opens the course, `make test` runs every test.
# Both create .venv and install what they need on first use.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8888
LAB_FLAGS ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
JOBS ?= 2
CELL_TIMEOUT ?= 300
NB ?= notebooks exercises
RECORDS := results/quick/exercise_records.jsonl

.PHONY: help install lab test lint unit notebooks-quick quick full exercises strip check clean

help:
	@echo "make lab        open the course in JupyterLab (installs on first use)"
	@echo "make test       lint + unit tests + structure checks + every notebook in quick mode"
	@echo "make quick NB=… run notebooks in quick mode (default: all)"
	@echo "make full NB=…  run notebooks in full mode and refresh the README results table"
	@echo "make exercises  regenerate exercises/ from notebooks/ (and strip outputs)"

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	$(BIN)/python -m pip install -q --no-deps -e .
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)

lab: install
	$(BIN)/python -m jupyterlab --ip=127.0.0.1 --port=$(PORT) --ServerApp.root_dir=$(CURDIR) \
	  --LabApp.default_url=/lab/tree/notebooks/day0/0_1_getting_started.ipynb $(ROOT_FLAG) $(LAB_FLAGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python -m utils.notebooks check

unit: install
	COURSE_MODE=quick $(BIN)/python -m pytest tests -n $(JOBS) --durations=10 -q

# nbval executes every cell; checkers append their records to $(RECORDS), then `verify`
# asserts: every instructor exercise passes, every student copy is still a stub.
notebooks-quick: install
	@mkdir -p results/quick && rm -f $(RECORDS)
	COURSE_MODE=quick COURSE_RESULTS=$(CURDIR)/$(RECORDS) $(BIN)/python -m pytest --nbval-lax \
	  -n $(JOBS) --dist loadscope --nbval-cell-timeout=$(CELL_TIMEOUT) -p no:cacheprovider \
	  --durations=0 --durations-min=5 -q $(NB)
	$(BIN)/python -m utils.checks verify $(RECORDS)

test: lint unit notebooks-quick

quick: install
	COURSE_MODE=quick $(BIN)/python -m pytest --nbval-lax -n $(JOBS) --dist loadscope \
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

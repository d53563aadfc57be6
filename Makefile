# migrationops.atlassian: developer entry points.
#   make test   venv + build + sanity + lint + unit, simulator and integration tests
#   make demo   run the whole migration chain against the bundled simulator
# Everything is installed into .venv from requirements-dev.txt; nothing is needed by hand.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python 3.12 gives the newest ansible-core; pyenv's copy is used when present.
PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null) python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
BUILD := $(CURDIR)/build
COLLECTION_ROOT := $(BUILD)/collection
COLLECTION_DIR := $(COLLECTION_ROOT)/ansible_collections/migrationops/atlassian
INSTALL_ROOT := $(BUILD)/installed
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/migrationops-atlassian-$(VERSION).tar.gz
PY_VERSION = $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PYTEST_WORKERS ?= 2
SCENARIO ?= demo

export ANSIBLE_COLLECTIONS_PATH := $(INSTALL_ROOT)
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help venv build install sanity lint units integration pytest test demo simulator clean

help:
	@echo "make test      full test suite (what CI runs)"
	@echo "make demo      migrate a simulated Jira site end to end (SCENARIO=demo|failing-checks)"
	@echo "make simulator run the API simulator in the foreground (SCENARIO=...)"
	@echo "make clean     remove .venv and build/"

$(VENV)/.installed: requirements-dev.txt tools/get_pip_offline.py
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	tools/install_get_pip_offline.sh $(BIN)/python
	touch $@

venv: $(VENV)/.installed

# ansible-test needs the collection under ansible_collections/<ns>/<name>; copy the tracked
# and untracked-but-not-ignored files there (a symlink is resolved and refused), as a git
# work tree of its own.
build: venv
	rm -rf $(COLLECTION_DIR)
	mkdir -p $(COLLECTION_DIR)
	git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' \
		| tar -cf - -T - | tar -xf - -C $(COLLECTION_DIR)
	# ansible-test lists files with git and would otherwise find the enclosing repository.
	cd $(COLLECTION_DIR) && git init -q && git add -A

$(TARBALL): build
	$(BIN)/ansible-galaxy collection build --force --output-path $(BUILD) $(COLLECTION_DIR) >/dev/null

install: $(TARBALL)
	rm -rf $(INSTALL_ROOT)
	$(BIN)/ansible-galaxy collection install --force -p $(INSTALL_ROOT) $(TARBALL) >/dev/null
	@echo "installed migrationops.atlassian $(VERSION) into $(INSTALL_ROOT)"

sanity: build
	cd $(COLLECTION_DIR) && $(BIN)/ansible-test sanity --venv --python $(PY_VERSION) --color no

lint: build
	cd $(COLLECTION_DIR) && $(BIN)/ansible-lint --profile production --offline --nocolor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# One pytest run for units, simulator and integration tests so the closing line counts all.
pytest: install
	cd $(COLLECTION_ROOT) && $(BIN)/python -m pytest -p no:cacheprovider -o pythonpath=. \
		-n $(PYTEST_WORKERS) ansible_collections/migrationops/atlassian/tests

test: sanity lint pytest

demo: install
	$(BIN)/python tools/demo.py --scenario $(SCENARIO)

simulator: venv
	$(BIN)/python -m tests.simulator --scenario $(SCENARIO)

clean:
	rm -rf $(VENV) $(BUILD) tests/output

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
FLOOR_VENV := .venv-floor
FLOOR_BIN := $(CURDIR)/$(FLOOR_VENV)/bin
BUILD := $(CURDIR)/build
COLLECTION_ROOT := $(BUILD)/collection
COLLECTION_DIR := $(COLLECTION_ROOT)/ansible_collections/migrationops/atlassian
INSTALL_ROOT := $(BUILD)/installed
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := $(BUILD)/migrationops-atlassian-$(VERSION).tar.gz
PY_VERSION = $(shell $(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PYTEST_WORKERS ?= 2
SCENARIO ?= story

export ANSIBLE_COLLECTIONS_PATH := $(INSTALL_ROOT)
export PATH := $(BIN):$(PATH)
export ANSIBLE_NOCOLOR := 1
export ANSIBLE_FORCE_COLOR := 0
export PY_COLORS := 0

.PHONY: help venv floor-venv build install sanity lint pytest floor-install tests-floor changelog-lint galaxy-import \
	test test-matrix matrix-newest matrix-floor matrix-target-python demo simulator clean bench bench-stream docs docs-lint \
	awx-collection

help:
	@echo "make test        full test suite (what CI runs)"
	@echo "make demo        migrate a simulated Jira site end to end (SCENARIO=story|waves|demo|failing-checks)"
	@echo "make test-matrix sanity, units and integration on ansible-core 2.21 and 2.16, modules on Python 3.9"
	@echo "make docs        HTML documentation site in build/docs/html"
	@echo "make bench       benchmarks against uri+until, get_url and curl"
	@echo "make reliability full fault-injection and security suite"
	@echo "make simulator   run the API simulator in the foreground (SCENARIO=...)"
	@echo "make clean       remove the venvs and build/"

# $(call new-venv,DIR,PYTHON,REQUIREMENTS): DIR, emptied, as a venv of PYTHON with REQUIREMENTS installed.
define new-venv
	rm -rf $(1)
	$(2) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --disable-pip-version-check -r $(3) 2>&1 | { grep -v "is ignored: it is neither" || true; }
endef

$(VENV)/.installed: requirements-dev.txt tools/get_pip_offline.py
	$(call new-venv,$(VENV),$(PYTHON),requirements-dev.txt)
	tools/install_get_pip_offline.sh $(BIN)/python
	touch $@

venv: $(VENV)/.installed

# The oldest ansible-core we support (meta/runtime.yml), for the matrix.
$(FLOOR_VENV)/.installed: requirements-floor.txt tools/get_pip_offline.py
	$(call new-venv,$(FLOOR_VENV),$(PYTHON),requirements-floor.txt)
	tools/install_get_pip_offline.sh $(FLOOR_BIN)/python
	touch $@

floor-venv: $(FLOOR_VENV)/.installed

# ansible-test needs the collection under ansible_collections/<ns>/<name>; copy the tracked
# and untracked-but-not-ignored files there (a symlink is resolved and refused), as a git
# work tree of its own.
build: venv
	rm -rf $(COLLECTION_DIR)
	mkdir -p $(COLLECTION_DIR)
	git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test ! -e "{}" || echo "{}"' \
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
	@echo "== sanity: $$($(BIN)/ansible --version | sed -n 1p), Python $(PY_VERSION)"
	cd $(COLLECTION_DIR) && $(BIN)/ansible-test sanity --venv --python $(PY_VERSION) --color no

# awx.awx on the collections path: extensions/awx/configure_controller.yml is linted against the real modules.
lint: build awx-collection
	cd $(COLLECTION_DIR) && ANSIBLE_COLLECTIONS_PATH=$(AWX_COLLECTIONS):$(INSTALL_ROOT) $(BIN)/ansible-lint --profile production --offline --nocolor
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# awx.awx, for tests/awx to run extensions/awx/configure_controller.yml against the real controller
# modules: the `ansible` wheel pinned with its hash in requirements-awx.txt, downloaded once into
# $(BUILD)/downloads, and only ansible_collections/awx/awx extracted into $(AWX_COLLECTIONS);
# the tests find it through MIGRATIONOPS_AWX_COLLECTIONS.
AWX_ANSIBLE_VERSION := $(shell sed -n 's/^ansible==\([^ ]*\).*/\1/p' requirements-awx.txt)
AWX_COLLECTIONS := $(BUILD)/awx-collections
AWX_STAMP := $(AWX_COLLECTIONS)/.ansible-$(AWX_ANSIBLE_VERSION)
export MIGRATIONOPS_AWX_COLLECTIONS := $(AWX_COLLECTIONS)

$(AWX_STAMP): requirements-awx.txt | $(VENV)/.installed
	rm -rf $(AWX_COLLECTIONS)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes -d $(BUILD)/downloads \
		-r requirements-awx.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	$(BIN)/python -c 'import sys, zipfile; wheel = zipfile.ZipFile(sys.argv[1]); \
		wheel.extractall(sys.argv[2], [name for name in wheel.namelist() if name.startswith("ansible_collections/awx/awx/")])' \
		$(BUILD)/downloads/ansible-$(AWX_ANSIBLE_VERSION)-py3-none-any.whl $(AWX_COLLECTIONS)
	touch $@

awx-collection: $(AWX_STAMP)

# One pytest run for units, simulator and integration tests so the closing line counts all.
pytest: install awx-collection
	cd $(COLLECTION_ROOT) && $(BIN)/python -m pytest -p no:cacheprovider -o pythonpath=. \
		-n $(PYTEST_WORKERS) ansible_collections/migrationops/atlassian/tests

# The oldest supported ansible-core, from its own venv and install: plugin units and every
# integration test (its sanity run is in test-matrix). 2.16 differs where it counts: it found a
# controller crash on a deeply nested answer that the newest ansible-core never showed.
FLOOR_INSTALL_ROOT := $(BUILD)/installed-floor

floor-install: $(TARBALL) floor-venv
	rm -rf $(FLOOR_INSTALL_ROOT)
	ANSIBLE_COLLECTIONS_PATH=$(FLOOR_INSTALL_ROOT) $(FLOOR_BIN)/ansible-galaxy collection install --force \
		-p $(FLOOR_INSTALL_ROOT) $(TARBALL) >/dev/null

tests-floor: floor-install awx-collection
	@echo "== $$($(FLOOR_BIN)/ansible --version | sed -n 1p): plugin units and integration"
	cd $(COLLECTION_ROOT) && ANSIBLE_COLLECTIONS_PATH=$(FLOOR_INSTALL_ROOT) PATH=$(FLOOR_BIN):$$PATH \
		$(FLOOR_BIN)/python -m pytest -p no:cacheprovider -o pythonpath=. -q -n $(PYTEST_WORKERS) \
		ansible_collections/migrationops/atlassian/tests/unit/plugins ansible_collections/migrationops/atlassian/tests/integration

changelog-lint: venv
	$(BIN)/antsibull-changelog lint

# galaxy-importer exits 0 on warnings; any WARNING or ERROR line fails the build here.
galaxy-import: $(TARBALL)
	cd $(BUILD) && $(BIN)/python -m galaxy_importer.main $(notdir $(TARBALL)) 2>&1 | tee $(BUILD)/galaxy-import.log
	! grep -E "^(WARNING|ERROR)" $(BUILD)/galaxy-import.log

test: sanity lint changelog-lint docs-lint docs galaxy-import tests-floor pytest

# sanity, units and integration on the newest and on the oldest supported ansible-core, each from
# its own venv (the integration harness runs the ansible-playbook beside the python running pytest).
test-matrix: matrix-newest matrix-floor matrix-target-python

matrix-newest: sanity pytest

matrix-floor: floor-install
	@echo "== matrix: $$($(FLOOR_BIN)/ansible --version | sed -n 1p), Python $(PY_VERSION)"
	cd $(COLLECTION_DIR) && $(FLOOR_BIN)/ansible-test sanity --venv --python $(PY_VERSION) --color no
	cd $(COLLECTION_ROOT) && ANSIBLE_COLLECTIONS_PATH=$(FLOOR_INSTALL_ROOT) PATH=$(FLOOR_BIN):$$PATH \
		$(FLOOR_BIN)/python -m pytest -p no:cacheprovider -o pythonpath=. -n $(PYTEST_WORKERS) \
		ansible_collections/migrationops/atlassian/tests/unit ansible_collections/migrationops/atlassian/tests/integration

# The modules on the oldest target Python of the newest ansible-core (3.9), with requests from
# requirements-target.txt: every integration test, the controller staying on Python $(PY_VERSION).
TARGET_PY_VERSION ?= 3.9
TARGET_PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/$(TARGET_PY_VERSION).*/bin/python$(TARGET_PY_VERSION)) $(shell command -v python$(TARGET_PY_VERSION) 2>/dev/null))
TARGET_VENV := .venv-target

$(TARGET_VENV)/.installed: requirements-target.txt
	@test -n "$(TARGET_PYTHON)" || { echo "matrix-target-python needs python$(TARGET_PY_VERSION) (set TARGET_PYTHON=/path/to/python$(TARGET_PY_VERSION))"; exit 1; }
	$(call new-venv,$(TARGET_VENV),$(TARGET_PYTHON),requirements-target.txt)
	touch $@

matrix-target-python: install $(TARGET_VENV)/.installed
	@echo "== matrix: $$($(BIN)/ansible --version | sed -n 1p), modules on $$($(TARGET_VENV)/bin/python --version)"
	cd $(COLLECTION_ROOT) && MIGRATIONOPS_MODULE_PYTHON=$(CURDIR)/$(TARGET_VENV)/bin/python MIGRATIONOPS_MODULE_PYTHON_VERSION=$(TARGET_PY_VERSION) \
		$(BIN)/python -m pytest -p no:cacheprovider -o pythonpath=. -n $(PYTEST_WORKERS) \
		ansible_collections/migrationops/atlassian/tests/integration

demo: install
	$(BIN)/python tools/demo.py --scenario $(SCENARIO)

simulator: venv
	$(BIN)/python -m tests.simulator --scenario $(SCENARIO)

clean:
	rm -rf $(VENV) $(FLOOR_VENV) $(TARGET_VENV) $(BUILD) tests/output

# The HTML documentation site, built offline from the installed collection by antsibull-docs and
# Sphinx: module and role pages generated from the code, guides from docs/docsite/. The generated
# conf.py is adjusted by tools/docsite_conf.py (local intersphinx inventory), warnings are errors.
DOCS_DIR := $(BUILD)/docs
DOCS_TITLE := migrationops.atlassian

docs: install
	rm -rf $(DOCS_DIR)
	mkdir -p -m 0700 $(DOCS_DIR)
	$(BIN)/antsibull-docs sphinx-init --use-current --squash-hierarchy --fail-on-error --dest-dir $(DOCS_DIR) \
		--project "$(DOCS_TITLE)" --title "$(DOCS_TITLE)" --copyright "MigrationOps contributors" \
		migrationops.atlassian >/dev/null
	$(BIN)/python tools/docsite_conf.py $(DOCS_DIR)
	chmod og-w $(DOCS_DIR)/rst
	$(BIN)/antsibull-docs --config-file $(DOCS_DIR)/antsibull-docs.cfg collection --use-current --squash-hierarchy \
		--fail-on-error --cleanup everything --dest-dir $(DOCS_DIR)/rst migrationops.atlassian >/dev/null
	$(BIN)/sphinx-build -b html -c $(DOCS_DIR) -d $(DOCS_DIR)/doctrees -W --keep-going -q $(DOCS_DIR)/rst $(DOCS_DIR)/html
	@echo "documentation site: $(DOCS_DIR)/html/index.html"

# Plugin and role docs (schema, markup, references) and the guides in docs/docsite/.
docs-lint: install
	cd $(COLLECTION_DIR) && $(BIN)/antsibull-docs lint-collection-docs --plugin-docs --check-extra-docs-refs .

# Performance benchmarks against uri + until, get_url and curl: prints the tables and writes
# benchmarks/RESULTS.md (10 to 15 minutes; BENCH_SKIP_1GB=1 leaves out the 1 GB download;
# BENCH_ARGS="--only floor wait" runs a subset).
bench: install
	$(BIN)/python -m benchmarks --collections $(INSTALL_ROOT) $(BENCH_ARGS)

# The stages of a 1 GB download (read, hash, write, the collection's stream_to_temp, a pipelined
# alternative) in one process, as ratios against reading the body alone.
bench-stream: install
	$(BIN)/python -m benchmarks.stream_breakdown

# Reliability and security suite at full size (make test runs it CI-sized): fault matrix, SIGKILL
# mid-wait and mid-download, secret leaks at -vvvv, TLS with a private CA, hostile input
# (hypothesis), parallel waits under a rate limit. Prints the figures and writes build/reliability.md.
reliability: install
	cd $(COLLECTION_ROOT) && RELIABILITY_FULL=1 RELIABILITY_REPORT=$(BUILD)/reliability.md $(BIN)/python -m pytest -p no:cacheprovider \
		-o pythonpath=. ansible_collections/migrationops/atlassian/tests/reliability

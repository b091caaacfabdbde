# minerops.whatsminer — developer entry points. Everything installs itself into .venv and build/.
PYTHON      ?= python3
VENV        := $(CURDIR)/.venv
BIN         := $(VENV)/bin
BUILD       := $(CURDIR)/build
COLL_PATH   := $(BUILD)/collections
COLL_LINK   := $(COLL_PATH)/ansible_collections/minerops/whatsminer
SANITY_COPY := $(BUILD)/sanity/ansible_collections/minerops/whatsminer
TEST_HOME   := $(BUILD)/home
ANSIBLE_TEST ?= $(BIN)/ansible-test
STAMP       := $(VENV)/.installed-$(shell cat requirements-dev.txt | cksum | cut -d' ' -f1)

export ANSIBLE_COLLECTIONS_PATH := $(COLL_PATH)
export PYTHONPATH := $(COLL_PATH):$(CURDIR)/tests/simulator
export ANSIBLE_NOCOLOR := 1
export PATH := $(BIN):$(PATH)

.PHONY: help venv collection demo test units simulator-tests integration sanity bench bench-site bench-curtail bench-eda bench-discovery mutation clean

help:
	@echo "make demo   - start a simulated WhatsMiner fleet and run the demo playbook against it"
	@echo "make test   - unit, simulator, integration and sanity tests"
	@echo "make bench  - time whatsminer_facts against ansible.builtin.debug over 200 simulated miners"
	@echo "make bench-curtail - curtail 1,000 and 10,000 simulated miners: floor client, fan-out task, curtail.yml"
	@echo "make bench-eda - grid signal to curtailed fleet through the demand_response rulebook, 1,000 simulated miners"
	@echo "make mutation - mutation score of the engine, crypto, transport and fan-out (TARGETS=\"engine crypto\" for some)"

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

venv: $(STAMP)

# Ansible finds the collection through a symlink tree, so edits are live.
collection: venv
	mkdir -p $(dir $(COLL_LINK))
	ln -sfn $(CURDIR) $(COLL_LINK)

demo: collection
	$(BIN)/python tests/demo/run_demo.py

units: collection
	cd $(COLL_LINK) && $(BIN)/python -m pytest -q -p no:cacheprovider tests/unit

simulator-tests: venv
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/simulator

integration: collection
	cd $(COLL_LINK) && $(BIN)/python -m pytest -q -p no:cacheprovider tests/integration

# ansible-test needs a real ansible_collections/<ns>/<name> directory: sanity runs on a copy
# of the files git knows about, with an offline get-pip stand-in under a HOME of its own.
sanity: venv
	rm -rf $(SANITY_COPY) && mkdir -p $(SANITY_COPY)
	git ls-files -co --exclude-standard | grep -v '^tests/output/' | while read -r f; do [ -e "$$f" ] && echo "$$f"; done \
	  | tar -cf - -T - | tar -xf - -C $(SANITY_COPY)
	cd $(SANITY_COPY) && git init -q . # build/ is git-ignored here: give the copy a repository of its own
	mkdir -p $(TEST_HOME)/.ansible/test/cache
	for pip in 24_2 23_1_2; do cp tests/sanity/get_pip_offline.py $(TEST_HOME)/.ansible/test/cache/get_pip_$$pip.py; done
	cd $(SANITY_COPY) && HOME=$(TEST_HOME) $(ANSIBLE_TEST) sanity --python 3.11 --venv --color no

test: units simulator-tests integration sanity
	@echo "make test: all suites passed"

bench: collection
	$(BIN)/python tests/perf/bench_facts.py

# site.yml (first and no-change runs) and drift.yml over 200 simulated miners against one debug task; tokens per miner.
bench-site: collection
	cd $(COLL_LINK) && $(BIN)/python tests/perf/bench_site.py

# Curtailment at 1,000 and 10,000 simulated miners: floor client, fan-out task, curtail.yml (BENCH_SIZES="1000" for one).
bench-curtail: collection
	cd $(COLL_LINK) && $(BIN)/python tests/perf/bench_curtail.py

# From a grid signal to a curtailed fleet through the demand_response rulebook (ansible-rulebook, Java 17), against curtail.yml by hand.
bench-eda: collection
	cd $(COLL_LINK) && $(BIN)/python tests/perf/bench_demand_response.py

# Discovery of a /16 (65,534 addresses) holding 1,000 simulated miners: ansible-inventory time and memory.
bench-discovery: collection
	cd $(COLL_LINK) && ANSIBLE_COLLECTIONS_PATH=$(BUILD)/collections $(BIN)/python tests/perf/bench_discovery.py

# Mutation testing (Cosmic Ray, installed on first use; not part of make test): engine, crypto, transport, fan-out.
mutation: venv
	$(BIN)/python -c 'import cosmic_ray' 2>/dev/null || $(BIN)/pip install -q 'cosmic-ray==8.7.0'
	$(BIN)/python tests/mutation/run_mutation.py $(TARGETS)

clean:
	rm -rf $(BUILD) tests/output

# Ecosystem targets (docs, changelog, lint, galaxy build, execution environment) live in mk/.
-include mk/*.mk

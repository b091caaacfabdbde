# The older ansible-core releases meta/runtime.yml declares supported (issue #14), really tested:
# on each, the unit tests, ansible-test sanity and an integration smoke run (the hostile-peer and
# template-injection tests, which guard what differs most between releases: unsafe data).
# Every release gets a venv of its own (build/compat-<release>), from requirements-dev.txt with
# that ansible-core pinned instead. `make test` covers the newest release (requirements-dev.txt).
#
#   make compat            all of them, one after the other
#   make compat-2.16       one release

COMPAT_CORE_2.16 := 2.16.19
COMPAT_CORE_2.17 := 2.17.14
COMPAT_CORE_2.18 := 2.18.19
COMPAT_RELEASES  := 2.16 2.17 2.18
COMPAT_SMOKE     := tests/integration/test_hostile_peers.py tests/integration/test_connection_options.py \
                    tests/integration/test_operator_first_day.py

.PHONY: compat

compat: $(addprefix compat-,$(COMPAT_RELEASES))
	@echo "make compat: ansible-core $(COMPAT_RELEASES) passed units, sanity and the integration smoke run"

build/compat-%/.installed: requirements-dev.txt mk/compat.mk
	rm -rf $(BUILD)/compat-$* && $(PYTHON) -m venv $(BUILD)/compat-$*
	grep -v '^ansible-core' requirements-dev.txt > $(BUILD)/compat-$*.txt
	echo 'ansible-core==$(COMPAT_CORE_$*)' >> $(BUILD)/compat-$*.txt
	$(BUILD)/compat-$*/bin/pip install --disable-pip-version-check -q -r $(BUILD)/compat-$*.txt
	touch $@

compat-%: build/compat-%/.installed collection
	@echo "== ansible-core $(COMPAT_CORE_$*): units"
	cd $(COLL_LINK) && PATH=$(BUILD)/compat-$*/bin:$$PATH $(BUILD)/compat-$*/bin/python -m pytest -q -p no:cacheprovider tests/unit
	@echo "== ansible-core $(COMPAT_CORE_$*): integration smoke"
	cd $(COLL_LINK) && PATH=$(BUILD)/compat-$*/bin:$$PATH $(BUILD)/compat-$*/bin/python -m pytest -q -p no:cacheprovider $(COMPAT_SMOKE)
	@echo "== ansible-core $(COMPAT_CORE_$*): sanity"
	$(MAKE) --no-print-directory sanity ANSIBLE_TEST=$(BUILD)/compat-$*/bin/ansible-test

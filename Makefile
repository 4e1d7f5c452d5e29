# policykg: the two set-up commands of the README. Both are idempotent on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# what the browser tests need from the system: Debian's chromium and a CJK font (without one,
# every Chinese label in the views renders as a box)
SYSTEM_PACKAGES := chromium fonts-wqy-microhei

.PHONY: demo test setup system lint clean

# The package and its test/notebook extras into .venv; pip's output goes to a log, shown only
# if the install fails.
$(BIN)/policykg: pyproject.toml
	@echo "setting up $(VENV) (pip install -e '.[test,notebook]'; log in $(VENV)/install.log)"
	@$(PYTHON) -m venv $(VENV)
	@{ $(BIN)/pip install --quiet --upgrade pip && $(BIN)/pip install --quiet -e '.[test,notebook]'; } \
		> $(VENV)/install.log 2>&1 || { tail -n 40 $(VENV)/install.log; exit 1; }
	@touch $(BIN)/policykg

setup: $(BIN)/policykg

# Chromium and a CJK font: installed with apt-get when missing and run as root, otherwise named.
system:
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || missing="$$missing fonts-wqy-microhei"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing$$missing (apt-get)"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else \
			echo "the browser tests need:$$missing — install them (Debian/Ubuntu: sudo apt-get install$$missing)"; \
			exit 1; \
		fi; \
	fi

# Build the graph from data/, write the views, and ask the embedded database a question.
demo: setup
	@$(BIN)/policykg build data --out out
	@echo
	@echo "$$ policykg query tasks_led_by -p unit=市科技局 -p doc=qingyuan_innovation_action_plan_2020-2022_draft.txt"
	@$(BIN)/policykg query tasks_led_by --param unit=市科技局 --param doc=qingyuan_innovation_action_plan_2020-2022_draft.txt --out out
	@echo
	@echo "the 任务分工表: out/responsibilities.xlsx; the views: open out/views/index.html"
	@echo "more: policykg query --list; policykg tasks 市科技局 --jurisdiction 清远市; policykg --help"

# The whole test suite: ruff, then pytest (the browser tests use chromium, see `system`; the
# Neo4j tests Java 17 and Maven: `apt-get install openjdk-17-jdk-headless maven`, which build
# tools/neo4j-server here once, cached in ~/.m2).
test: setup system
	$(BIN)/ruff check .
	@if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then \
	  $(BIN)/python tools/neo4j-server/neo4j_server.py build || echo "note: tools/neo4j-server did not build"; fi
	$(BIN)/pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf out out-neo4j-admin .pytest_cache .ruff_cache

# policykg: the two set-up commands of the README. Both are idempotent on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup lint clean

$(BIN)/policykg: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,notebook]'
	touch $(BIN)/policykg

setup: $(BIN)/policykg

# Build the graph from data/, write the views, and ask the embedded database a question.
demo: setup
	$(BIN)/policykg build data --out out
	$(BIN)/policykg query tasks_led_by --param unit=市科技局 --param doc=qingyuan_innovation_action_plan_2020-2022_draft.txt --out out
	@echo "views: out/views/index.html"

# The whole test suite (browser tests need Debian's chromium: `apt-get install chromium`; the
# Neo4j tests Java 17 and Maven: `apt-get install openjdk-17-jdk-headless maven`, which build
# tools/neo4j-server here once, cached in ~/.m2).
test: setup
	$(BIN)/ruff check .
	@if command -v java >/dev/null 2>&1 && command -v mvn >/dev/null 2>&1; then \
	  $(BIN)/python tools/neo4j-server/neo4j_server.py build || echo "note: tools/neo4j-server did not build"; fi
	$(BIN)/pytest -q -p no:cacheprovider

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf out .pytest_cache .ruff_cache

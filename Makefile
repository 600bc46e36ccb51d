# Private Traffic: every target uses the project's own virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install constraints run run-full test lint check bench messages schemathesis clean

install: $(STAMP)

# constraints.txt pins every package to what CI tested; a change to it or to pyproject.toml reinstalls.
$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Re-resolve pyproject.toml's ranges in a scratch virtualenv and pin the result in constraints.txt
# (then `make install` and the tests; commit constraints.txt with the change that needed it).
constraints:
	rm -rf .venv-constraints
	$(PYTHON) -m venv .venv-constraints
	.venv-constraints/bin/pip install --quiet --upgrade pip
	.venv-constraints/bin/pip install --quiet -e '.[dev]'
	{ sed -n '/^#/p' constraints.txt; .venv-constraints/bin/pip freeze --exclude-editable; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .venv-constraints

# The embedded default: SQLite under var/, in-memory channel layer, in-process tasks and ticker.
run: install
	env -u DATABASE_URL -u REDIS_URL WEBHOOK_ALLOW_PRIVATE_TARGETS=$${WEBHOOK_ALLOW_PRIVATE_TARGETS:-true} $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The full stack: needs DATABASE_URL and REDIS_URL. Web (uvicorn), a Celery worker and beat together.
run-full: install
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "Set DATABASE_URL and REDIS_URL (see README)"; exit 2; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN)/celery -A privtraffic worker --loglevel=info --concurrency=2 & \
	  $(BIN)/celery -A privtraffic beat --loglevel=info & \
	  $(BIN)/uvicorn privtraffic.asgi:application --host $(HOST) --port $(PORT) --proxy-headers --forwarded-allow-ips "$${TRUSTED_PROXIES:-}" & \
	  wait

# Throwaway PostgreSQL + redis-server (installed with apt when missing and root), then the whole suite.
test: install
	$(BIN)/python tests/testenv.py -- $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# Everything CI checks before the tests: ruff, the one-way layering (import-linter), no get_model outside migrations.
check: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python .ci/check_get_model.py

# Every bench/*.py with run(quick=...) on its own throwaway stack (one PostgreSQL for the run, migrated once into a
# template that each module clones); writes docs/benchmarks.md. QUICK=1: the reduced run (target: under 3 minutes;
# docs/benchmarks.md lists the seconds and CPU seconds each module takes, bench/notes.md what they were).
bench: install
	$(BIN)/python bench/run.py $(if $(QUICK),--quick)

# The Simplified Chinese catalogue: extract every gettext string into locale/zh_Hans/LC_MESSAGES/django.po
# (needs xgettext: apt-get install gettext), then compile django.mo. Translate the new msgids and run it again;
# commit both files.
MESSAGES_IGNORE := --ignore=.venv --ignore=var --ignore=tests --ignore=bench --ignore=staticfiles
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans $(MESSAGES_IGNORE)
	$(BIN)/python manage.py compilemessages -l zh_Hans $(MESSAGES_IGNORE)

# schemathesis against the served schema on a throwaway server and database (about two minutes; CI runs it).
schemathesis: install
	$(BIN)/python tests/testenv.py --schemathesis -- $(SCHEMATHESIS_ARGS)

clean:
	rm -rf $(VENV) .venv-constraints var staticfiles .pytest_cache .ruff_cache

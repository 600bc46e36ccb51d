# Private Traffic: every target uses the project's own virtualenv in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: install run run-full test lint check bench schemathesis clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The embedded default: SQLite under var/, in-memory channel layer, in-process tasks and ticker.
run: install
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python manage.py serve --host $(HOST) --port $(PORT)

# The full stack: needs DATABASE_URL and REDIS_URL. Web (uvicorn), a Celery worker and beat together.
run-full: install
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "Set DATABASE_URL and REDIS_URL (see README)"; exit 2; }
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@trap 'kill $$(jobs -p) 2>/dev/null; wait' INT TERM EXIT; \
	  $(BIN)/celery -A privtraffic worker --loglevel=info --concurrency=2 & \
	  $(BIN)/celery -A privtraffic beat --loglevel=info & \
	  $(BIN)/uvicorn privtraffic.asgi:application --host $(HOST) --port $(PORT) --proxy-headers & \
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

bench: install
	$(BIN)/python tests/testenv.py --bench

# schemathesis against the served schema on a throwaway server and database (about two minutes; CI runs it).
schemathesis: install
	$(BIN)/python tests/testenv.py --schemathesis -- $(SCHEMATHESIS_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

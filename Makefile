# casemgr: `make run` serves the demo on 127.0.0.1; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app wsgi
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# Tests run in parallel (pytest-xdist); each worker gets a database of its own.
WORKERS ?= 2
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider -n $(WORKERS)

.PHONY: run test test-sqlite test-postgres install install-dev translations messages \
        postgres chromium lint format bench loadtest wrk clean

run: install translations
	$(FLASK) casemgr init
	$(FLASK) casemgr demo-data
	@echo "casemgr is starting on http://127.0.0.1:$(PORT)/ with a worker running for background"
	@echo "jobs and scheduled duties (web + worker, Procfile; Ctrl+C stops both)"
	$(BIN)/honcho start -f Procfile -p $(PORT)

test: install-dev translations chromium postgres
	$(PYTEST)
	CASEMGR_TEST_DATABASE_URL=$(PG_URL) $(PYTEST)

test-sqlite: install-dev translations chromium
	$(PYTEST)

test-postgres: install-dev translations chromium postgres
	CASEMGR_TEST_DATABASE_URL=$(PG_URL) $(PYTEST)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Catalogues are compiled at install time; only the .po sources are committed.
translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -d casemgr/translations

# For developers: extract new strings and merge them into the catalogues.
messages: $(VENV)/.runtime
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -o casemgr/translations/messages.pot .
	$(BIN)/pybabel -q update -i casemgr/translations/messages.pot -d casemgr/translations

postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect \
	  $$(ls /etc/postgresql) main start
	@for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done

chromium:
	@command -v chromium >/dev/null || (apt-get update -q && apt-get install -y -q chromium)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The benchmark suite (docs/performance.md): SCALE=small|full, DB=sqlite|postgresql|both.
bench: install-dev translations postgres wrk
	$(BIN)/python -m bench

# The 50-user load test against gunicorn + PostgreSQL (docs/performance.md); SCALE as above.
loadtest: install-dev translations postgres
	$(BIN)/python -m bench.load

wrk:
	@command -v wrk >/dev/null || (apt-get update -q && apt-get install -y -q wrk)

clean:
	rm -rf $(VENV) instance .pytest_cache

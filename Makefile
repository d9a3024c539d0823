# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench bench-small bench-pages bench-http bench-http-small migrate \
	seed clean serve-prod worker

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	$(PY) manage.py runserver 127.0.0.1:8000

# The production shape (issue 14): gunicorn (WEB_WORKERS, 4) on BIND (127.0.0.1:8001), the job
# worker and celery beat, on PostgreSQL and Redis. Needs SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL;
# see deploy/serve-prod.sh and README "Production".
serve-prod: install
	PY=$(PY) deploy/serve-prod.sh

# Only the job worker, with the production profile's settings from the environment.
worker: install
	CORP_BILLING_PROFILE=production $(PY) -m celery -A corp_billing.celery worker --loglevel INFO

test: install
	$(PY) -m pytest -n 2

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Every benchmark of the project; non-zero when any goal is missed (all run either way).
# The page benchmark builds, fills and drops a PostgreSQL database of its own (127.0.0.1:5432).
bench: install
	@status=0; $(PY) bench/pdf_bench.py || status=1; \
	$(PY) bench/export_bench.py || status=1; \
	$(PY) bench/pages_bench.py --size full || status=1; \
	$(PY) bench/http_bench.py --size full || status=1; exit $$status

# Load over HTTP against the production shape (serve-prod on its own PostgreSQL database):
# 20 clients racing on one quote, 200 on 200 quotes, the rep quote list vs the bare page.
bench-http: install
	$(PY) bench/http_bench.py --size full

bench-http-small: install
	$(PY) bench/http_bench.py --size small --report-only --output bench/RESULTS-http-small.md

bench-pages: install
	$(PY) bench/pages_bench.py --size full

# The small size, for CI: keeps seed_scale and the page benchmark from rotting (a failing page
# fails it; timing goals are judged at the full size only).
bench-small: install
	$(PY) bench/pages_bench.py --size small --report-only --output bench/RESULTS-small.md

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles

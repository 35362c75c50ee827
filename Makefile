# One place for every developer command. `make test` and `make demo` set up
# everything they need (virtual environment, install) on a fresh machine.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
# Django 6 needs Python 3.12+: the newest such interpreter found here, if any.
# (pyenv shims are skipped unless they really run: an inactive version's shim only errors.)
NEW_PYTHON ?= $(shell for p in $(HOME)/.pyenv/versions/3.1[3-9]*/bin/python \
  $(HOME)/.pyenv/versions/3.12*/bin/python python3.14 python3.13 python3.12; do \
  "$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && \
  { command -v "$$p"; break; }; done)
NEW_VENV ?= .venv-django6

.PHONY: test test-django6 lint dist ci docs messages compilemessages check-messages

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# Runs the whole suite against Redis at $$REDIS_URL (default 127.0.0.1:6379/14),
# or an embedded one when none answers. It empties that database before every test,
# so it refuses one holding keys it did not write (tests/redis_server.py).
# In TEST_WORKERS processes (pytest-xdist; the tests mostly wait on Redis, subprocesses
# and the clock, so more workers than cores pay): each has a database of its own on that
# server, $$REDIS_URL's for the first, the next lower numbers for the others (14 to 11).
# TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 4
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

dist: $(BIN)/.installed
	rm -rf dist
	$(BIN)/python -m build --sdist --wheel --outdir dist . > /dev/null
	$(BIN)/twine check --strict dist/*
	$(BIN)/python scripts/check_wheel.py dist/*.whl

# Translations (django_rq_poll/locale, demo/locale; GNU gettext needed): `make messages` adds
# new msgids to every language's .po; translate them, then `make compilemessages`.
# `make check-messages` (CI) fails unless every catalog is complete and compiled.
messages: $(BIN)/.installed
	$(BIN)/python scripts/messages.py update

compilemessages: $(BIN)/.installed
	$(BIN)/python scripts/messages.py compile

check-messages: $(BIN)/.installed
	$(BIN)/python scripts/messages.py check

# The Sphinx site, warnings (and broken cross-references) as errors; needs no Redis.
docs: $(BIN)/.installed
	$(BIN)/python -m pip install -q -e '.[docs]'
	$(BIN)/sphinx-build -W --keep-going -n -q -b html docs docs/_build/html
	@echo "Docs built: docs/_build/html/index.html"

test-django6:
	@if [ -z "$(NEW_PYTHON)" ]; then \
	  echo "NOT TESTED on Django 6: no Python 3.12+ interpreter on this machine."; \
	  if [ "$$RQ_POLL_REQUIRE_ALL" = 1 ]; then echo "RQ_POLL_REQUIRE_ALL=1: failing."; exit 1; fi; \
	  exit 0; fi; \
	echo "Testing on Django 6 with $(NEW_PYTHON)"; \
	test -x $(NEW_VENV)/bin/python || $(NEW_PYTHON) -m venv $(NEW_VENV); \
	$(NEW_VENV)/bin/python -m pip install -q --upgrade pip && \
	$(NEW_VENV)/bin/python -m pip install -q -e '.[test]' 'django>=6.0,<7' && \
	$(NEW_VENV)/bin/python -c 'import django, sys; print("Django", django.get_version(), "on Python", sys.version.split()[0])' && \
	$(NEW_VENV)/bin/python -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

ci: test lint check-messages dist docs test-django6

# The demo site (README's first command): set-up, then Redis if none answers at
# $REDIS_URL (default 127.0.0.1:6379), an rqworker and the web server on $PORT (8000).
.PHONY: demo
demo: $(BIN)/.installed
	$(BIN)/python -m demo.run

# Mutation testing of the whole package (docs/testing.rst), not in CI: mutmut changes the
# code one small step at a time and runs the tests that reach it; a mutant no test
# notices survives. One worker (the tests share one Redis database). Uses Redis at
# $$REDIS_URL, which the tests FLUSH: give it a database of its own.
.PHONY: mutate
mutate: $(BIN)/.installed
	$(BIN)/python -m pip install -q -e '.[mutate]'
	rm -rf mutants
	# mutmut's own limit counts CPU time: a mutant that awaits for ever would wait out
	# pytest-timeout's 300 s (docs/testing.rst).
	RQ_POLL_TEST_WORKER=simple PYTEST_ADDOPTS=--timeout=60 $(BIN)/mutmut run --max-children 1 || true
	mkdir -p artifacts
	$(BIN)/mutmut results --all true > artifacts/mutants.txt || true
	$(BIN)/python scripts/mutation_score.py artifacts/mutants.txt

# Benchmarks (docs/performance.rst) in their own venv with the `bench` extra (Celery,
# gunicorn). Uses Redis at $$REDIS_URL, default redis://127.0.0.1:6379/15: a database
# the run may empty (it refuses one holding keys it did not write).
# `BENCH_ARGS=--quick make bench` for a short run.
.PHONY: bench
BENCH_VENV ?= .venv-bench

$(BENCH_VENV)/bin/.installed: pyproject.toml
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[bench]'
	touch $@

bench: $(BENCH_VENV)/bin/.installed
	$(BENCH_VENV)/bin/python -m bench $(BENCH_ARGS)

# Push against polling (docs/performance.rst, "Push"): Chromium, uvicorn and workers from the
# test venv; Redis at $$REDIS_URL (default db 15), which the run empties like `make bench`.
.PHONY: bench-push
bench-push: $(BIN)/.installed
	$(BIN)/python -m bench.push $(BENCH_ARGS)

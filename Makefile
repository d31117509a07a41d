# Two commands for a fresh clone (see README.md):
#   make book   set up .venv, execute every chapter, write the site to _build/html
#   make test   the same set-up, unit tests, a strict book build, the browser check
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JB_FLAGS := -n -W --keep-going

.PHONY: book test unit site browser-check bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

book: $(STAMP)
	$(PY) scripts/cache_key.py
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html"

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/browser

browser-check: $(STAMP)
	bash scripts/ensure_browser.sh
	$(PY) -m pytest tests/browser

test: unit book browser-check

bench: $(STAMP)
	$(PY) benchmarks/bench_build.py

clean:
	rm -rf _build

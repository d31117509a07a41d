# Two commands for a fresh clone (see README.md):
#   make book   set up .venv, execute every chapter, write the site to _build/html
#   make test   the same set-up, unit tests, a strict book build, the browser check
#   make student  the book without solutions in _build/student/html, stubbed notebooks in _build/student/notebooks
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JB_FLAGS := -n -W --keep-going

.PHONY: book student test unit browser-check bench clean

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	bash scripts/fetch_thebe.sh
	@touch $(STAMP)

book: $(STAMP)
	$(PY) scripts/cache_key.py
	$(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html"

student: $(STAMP)
	$(PY) scripts/cache_key.py
	$(PY) scripts/student_config.py
	$(VENV)/bin/jupyter-book build . --config _build/student/_config.yml --path-output _build/student $(JB_FLAGS)
	rm -rf _build/student/html && cp -r _build/student/_build/html _build/student/html
	@echo
	@echo "Student edition: $(CURDIR)/_build/student/html/index.html, notebooks in _build/student/notebooks/"

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

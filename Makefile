# Two commands for a fresh clone (see README.md):
#   make book   set up .venv, execute every chapter, write the site to _build/html
#   make test   the same set-up, unit tests, a strict book build, the browser check
#   make student  the book without solutions in _build/student/html, stubbed notebooks in _build/student/notebooks
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JB_FLAGS := -n -W --keep-going

.PHONY: book student test unit browser-check bench clean lock

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	bash scripts/fetch_thebe.sh
	bash scripts/fetch_node_tools.sh
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

# requirements.txt: the exact pins, resolved by pip-tools from the direct dependencies in
# pyproject.toml (the book and test extras). Keeps existing pins unless they no longer fit;
# `make lock UPGRADE=1` moves every pin to the newest release. torch resolves to the CPU build
# on this machine's wheel folder (a CUDA build is several GB).
lock: $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check pip-tools==7.6.2
	$(VENV)/bin/pip-compile --quiet --extra book --extra test --strip-extras --no-emit-index-url \
		--no-emit-find-links $(if $(UPGRADE),--upgrade) --output-file requirements.txt pyproject.toml
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--constraint requirements.txt --output-file binder/requirements.txt binder/requirements.in
	$(PY) scripts/binder_torch_cpu.py binder/requirements.txt

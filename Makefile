# Two commands for a fresh clone (see README.md):
#   make book   set up .venv, execute every chapter, write the site to _build/html
#   make test   the same set-up, unit tests, a strict book build, the browser check, the PDF edition
#   make student  the book without solutions in _build/student/html, stubbed notebooks in _build/student/notebooks
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
JB_FLAGS := -n -W --keep-going

.PHONY: book student test unit browser-check bench clean lock pdf latest lint

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	bash scripts/fetch_thebe.sh
	bash scripts/fetch_node_tools.sh
	@touch $(STAMP)

book: $(STAMP)
	$(PY) scripts/cache_key.py
	MLMATH_CHECK_STRICT=1 $(VENV)/bin/jupyter-book build . $(JB_FLAGS)
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html"

student: $(STAMP)
	$(PY) scripts/cache_key.py
	$(PY) scripts/student_config.py
	MLMATH_CHECK_STRICT=1 $(VENV)/bin/jupyter-book build . --config _build/student/_config.yml --path-output _build/student $(JB_FLAGS)
	rm -rf _build/student/html && cp -r _build/student/_build/html _build/student/html
	@echo
	@echo "Student edition: $(CURDIR)/_build/student/html/index.html, notebooks in _build/student/notebooks/"

# The PDF edition: the same chapters through XeLaTeX (installs Debian's TeX Live when root),
# without the exercises' solutions; then tests/pdf checks it. Output: _build/latex/mlmath-book.pdf
pdf: $(STAMP)
	bash scripts/ensure_latex.sh
	$(PY) scripts/cache_key.py
	MLMATH_CHECK_STRICT=1 $(VENV)/bin/jupyter-book build . --builder pdflatex
	$(PY) -m pytest tests/pdf -q
	@echo "The PDF is at $(CURDIR)/_build/latex/mlmath-book.pdf"

# Ruff (lint and format) and a lenient mypy, configured in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check src tests _ext scripts benchmarks
	$(VENV)/bin/ruff format --check src tests _ext scripts benchmarks
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(PY) -m pytest tests --ignore=tests/browser --ignore=tests/pdf

browser-check: $(STAMP)
	bash scripts/ensure_browser.sh
	$(PY) -m pytest tests/browser

test: lint unit book browser-check pdf

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

# Colab-like: every chapter executed with the newest releases of the direct dependencies
# (pyproject's book extra) instead of the pins, in a venv of its own (.venv-latest), and on
# LATEST_THREADS BLAS/torch threads (default 1, where the build uses the machine's two), so a
# check that holds only for one thread count or one summation order fails here. torch stays
# at LATEST_TORCH, by default the CPU build this machine has (the newest on PyPI is a
# multi-GB CUDA build; the scheduled workflow passes LATEST_TORCH=torch with the CPU index).
# The versions used are written to _build/latest-versions.txt.
LATEST_TORCH   ?= torch==2.13.0
LATEST_THREADS ?= 1
latest:
	@test -x .venv-latest/bin/python || $(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --disable-pip-version-check --upgrade "$(LATEST_TORCH)" -e ".[book]"
	@mkdir -p _build
	.venv-latest/bin/python -m pip list --format=freeze > _build/latest-versions.txt
	OMP_NUM_THREADS=$(LATEST_THREADS) OPENBLAS_NUM_THREADS=$(LATEST_THREADS) MKL_NUM_THREADS=$(LATEST_THREADS) \
	MLMATH_CHECK_STRICT=1 .venv-latest/bin/python scripts/run_chapter.py $$(.venv-latest/bin/python -c "import sys; sys.path.insert(0, '_ext'); import book_map; print(' '.join(d + '.md' for d, _ in book_map.toc_chapters() if 'kernelspec' in open(d + '.md').read(600)))")

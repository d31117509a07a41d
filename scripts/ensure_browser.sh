#!/usr/bin/env bash
# Make sure a headless Chromium exists for the browser check (tests/browser).
# As root, install Debian's chromium when it is missing; otherwise say so
# loudly. tests/browser then skips (or fails under CI=true) without a browser.
set -u
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || [ -n "${CHROMIUM:-}" ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "browser check: installing Debian's chromium (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  command -v chromium >/dev/null 2>&1 && exit 0
  echo "browser check: apt-get could not install chromium" >&2
fi
echo "##################################################################" >&2
echo "## browser check: NO CHROMIUM FOUND. Install Debian's 'chromium'  ##" >&2
echo "## or set CHROMIUM=/path/to/chrome. The browser tests will be     ##" >&2
echo "## SKIPPED (and FAIL under CI=true).                              ##" >&2
echo "##################################################################" >&2
exit 0

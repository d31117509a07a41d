#!/usr/bin/env bash
# Install Thebe (live code in the pages) from the npm registry into .venv/thebe,
# so the site serves it itself instead of loading it from a CDN. Run by the
# Makefile's set-up step; the build copies it to _static/thebe.
set -u
VERSION=0.9.3
DEST=.venv/thebe
if [ -f "$DEST/index.js" ]; then exit 0; fi
if ! command -v npm >/dev/null 2>&1; then
  echo "thebe: npm not found; live code (Thebe) will load Thebe from its CDN when a reader clicks it" >&2
  exit 0
fi
tmp=$(mktemp -d)
if (cd "$tmp" && npm pack --silent "thebe@$VERSION" >/dev/null 2>&1) && tar -xzf "$tmp/thebe-$VERSION.tgz" -C "$tmp"; then
  mkdir -p "$DEST"
  # The library and its lazily loaded chunks; source maps are left out.
  find "$tmp/package/lib" -maxdepth 1 -type f ! -name '*.map' -exec cp {} "$DEST/" \;
  echo "thebe: installed thebe@$VERSION into $DEST"
else
  echo "thebe: could not fetch thebe@$VERSION from the npm registry; live code will load Thebe from its CDN" >&2
fi
rm -rf "$tmp"

#!/usr/bin/env bash
# Make sure XeLaTeX, latexmk, the fonts and pdftotext exist for `make pdf` (Debian's TeX Live).
# As root, install them with apt-get when missing; otherwise say what is needed and fail.
set -u
PACKAGES="latexmk texlive-xetex texlive-latex-extra texlive-fonts-recommended texlive-plain-generic fonts-freefont-otf tex-gyre fonts-dejavu-core poppler-utils"
if command -v xelatex >/dev/null 2>&1 && command -v latexmk >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "pdf: installing TeX Live (XeLaTeX, latexmk), fonts and poppler-utils with apt-get"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null
  command -v xelatex >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 && exit 0
fi
echo "pdf: XeLaTeX, latexmk or pdftotext missing; install Debian's: $PACKAGES" >&2
exit 1

#!/usr/bin/env bash
# make bench: install wrk when it is missing, then hand over to bench/run.py (which starts and
# stops every server itself). Arguments go to run.py; see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
  echo "[bench] installing wrk (Debian package)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if [ ! -x .venv/bin/rostra ]; then
  echo "[bench] .venv/bin/rostra is missing: run 'make bench' (it installs the project first)" >&2
  exit 2
fi
exec .venv/bin/python bench/run.py "$@"

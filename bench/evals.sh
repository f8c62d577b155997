#!/usr/bin/env bash
# Reproduces the committed baseline evaluation runs in evals/.
#
#   bash bench/evals.sh NAME      one run: seed-extractive, seed-local, xquad-extractive,
#                                 xquad-local, rtqa-small-extractive, rtqa-small-local,
#                                 seed-heldout-extractive, seed-heldout-local
#   bash bench/evals.sh all       every run, extractive ones first
#
# The benchmark stores live outside the repository, one data folder per set under
# $NEWSQA_BENCH_STORES (default /tmp/newsqa-bench); the first run of a set ingests its corpus
# (rtqa-small: 1,209 articles, the longest step), later runs reuse it. xquad-de and rtqa-small
# use the `news` collection of that folder, the store bench/retrieval.py builds and measures.
# RESUME=1 continues an interrupted run instead of starting it again.
set -euo pipefail
cd "$(dirname "$0")/.."

BENCH=../shared/bench
STORES=${NEWSQA_BENCH_STORES:-/tmp/newsqa-bench}
PY=.venv/bin/python
LOCAL_LIMIT=${LOCAL_LIMIT:-100}

use_local_model() {
  # One copy of the 1.1 GB model (the default data folder's) serves every bench store.
  local model=${NEWSQA_LLM_MODEL_PATH:-${XDG_DATA_HOME:-$HOME/.local/share}/newsqa/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf}
  [ -f "$model" ] || "$PY" -m newsqa models pull
  export NEWSQA_LLM_MODEL_PATH=$model
}

run() {
  local name=$1 data=$2
  shift 2
  local out=evals/$name
  if [ "${RESUME:-0}" = 1 ]; then
    set -- "$@" --resume
  else
    rm -rf "$out"
  fi
  echo "== $name" >&2
  "$PY" -m newsqa --data-dir "$STORES/$data" "${COLLECTION_ARGS[@]}" eval "$@" --out "$out"
}

one() {
  COLLECTION_ARGS=()
  case $1 in
    seed-extractive | seed-local)
      [ "$1" = seed-local ] && use_local_model
      run "$1" seed "$BENCH/seed/questions.jsonl" "$BENCH/seed/followups.jsonl" \
        --corpus "$BENCH/seed/corpus.jsonl" --backend "${1#seed-}" ;;
    seed-heldout-extractive | seed-heldout-local)
      # Questions written here over the seed report and never tuned on (bench/questions/).
      [ "$1" = seed-heldout-local ] && use_local_model
      run "$1" seed bench/questions/seed-heldout.jsonl bench/questions/seed-heldout-followups.jsonl \
        --corpus "$BENCH/seed/corpus.jsonl" --backend "${1#seed-heldout-}" ;;
    xquad-extractive)
      COLLECTION_ARGS=(--collection news)
      run "$1" xquad-de "$BENCH/xquad-de/questions-en.jsonl" "$BENCH/xquad-de/questions-de.jsonl" \
        --corpus "$BENCH/xquad-de/corpus.jsonl" --backend extractive --workers 2 ;;
    xquad-local)
      COLLECTION_ARGS=(--collection news)
      use_local_model
      run "$1" xquad-de "$BENCH/xquad-de/questions-en.jsonl" "$BENCH/xquad-de/questions-de.jsonl" \
        --corpus "$BENCH/xquad-de/corpus.jsonl" --backend local --limit "$LOCAL_LIMIT" ;;
    rtqa-small-extractive | rtqa-small-local)
      COLLECTION_ARGS=(--collection news)
      local extra=(--backend extractive --workers 2)
      if [ "$1" = rtqa-small-local ]; then
        use_local_model
        # All 150 questions: about 10 minutes on an idle 2-core machine.
        extra=(--backend local --limit "${RTQA_LOCAL_LIMIT:-150}")
      fi
      run "$1" rtqa-small "$BENCH/rtqa-small/questions.jsonl" \
        --corpus "$BENCH/rtqa-small/corpus.jsonl" "${extra[@]}" ;;
    *)
      echo "unknown run: $1" >&2
      exit 2 ;;
  esac
}

if [ "${1:-}" = all ]; then
  for name in seed-extractive seed-heldout-extractive xquad-extractive rtqa-small-extractive \
    seed-local seed-heldout-local xquad-local rtqa-small-local; do
    one "$name"
  done
else
  one "${1:?usage: bench/evals.sh NAME|all}"
fi

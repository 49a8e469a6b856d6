#!/usr/bin/env bash
# Issue 15, the format-penalty hack (plan: docs/results.md, "The format-penalty hack, paired"): GRPO+ActFocus from
# a weak warm start (400 steps) on Gymnasium's 4x4 map, not slippery, seeds 0 1 2, two arms that differ only in
# the environment's `format_penalty_whole_budget` (false: RAGEN's reward; true: an episode ending early also pays
# for its unplayed turns at its own invalid share). Otherwise frozenlake_gym4x4.sh's settings. Resumable (a
# completed run is kept), two runs at a time.
#   bash bench/sanity/format_penalty.sh [OUT_DIR]        (default docs/results/sanity/format-penalty)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/docs/results/sanity/format-penalty}
mkdir -p "$OUT"
one() {
  local arm=$1 seed=$2 dir="$OUT/$1-seed$2" whole
  if [ -f "$dir/run.json" ] && grep -q '"status": *"completed"' "$dir/run.json"; then echo "kept $dir"; return; fi
  rm -rf "$dir"
  if [ "$arm" = whole-budget ]; then whole=true; else whole=false; fi
  OMP_NUM_THREADS=1 "$ROOT/.venv/bin/python" -m actfocus train --run-dir "$dir" --env frozenlake \
    --env-config "{\"is_slippery\": false, \"map_name\": \"4x4\", \"format_penalty_whole_budget\": $whole}" \
    --pretrain-env-config '{"is_slippery": false}' --pretrain-steps 400 \
    --algo grpo --weighting actfocus --steps 40 --prompts-per-step 8 --group-size 8 --max-new-tokens 48 \
    --max-context 768 --eval-every 10 --eval-prompts 128 --seed "$seed" --checkpoint-every 0 > "$OUT/$arm-seed$seed.log" 2>&1
  echo "done $dir"
}
export -f one; export ROOT OUT
printf '%s\n' "ragen 0" "whole-budget 0" "ragen 1" "whole-budget 1" "ragen 2" "whole-budget 2" | xargs -P 2 -L 1 bash -c 'one $0 $1'

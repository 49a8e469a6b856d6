#!/usr/bin/env bash
# Issue 15's sanity table, FrozenLake row (plan: docs/results.md, "Sanity table: FrozenLake 4x4"):
# uniform GRPO and uniform PPO, seeds 0 1 2, Gymnasium's 4x4 map not slippery, the demo's settings
# (scripts/start.sh) but for the weighting and 128 held-out episodes. Resumable: a run whose run.json says
# "completed" is kept; any other is started again from scratch. Two runs at a time.
#   bash bench/sanity/frozenlake_gym4x4.sh [OUT_DIR]        (default docs/results/sanity/frozenlake-gym4x4)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/docs/results/sanity/frozenlake-gym4x4}
mkdir -p "$OUT"
one() {
  local algo=$1 seed=$2 dir="$OUT/$1-seed$2"
  if [ -f "$dir/run.json" ] && grep -q '"status": *"completed"' "$dir/run.json"; then echo "kept $dir"; return; fi
  rm -rf "$dir"
  OMP_NUM_THREADS=1 "$ROOT/.venv/bin/python" -m actfocus train --run-dir "$dir" --env frozenlake \
    --env-config '{"is_slippery": false, "map_name": "4x4"}' --pretrain-env-config '{"is_slippery": false}' --pretrain-steps 800 \
    --algo "$algo" --weighting uniform --steps 40 --prompts-per-step 8 --group-size 8 --max-new-tokens 48 \
    --max-context 768 --eval-every 10 --eval-prompts 128 --seed "$seed" --checkpoint-every 0 > "$OUT/$algo-seed$seed.log" 2>&1
  echo "done $dir"
}
export -f one; export ROOT OUT
printf '%s\n' "grpo 0" "ppo 0" "grpo 1" "ppo 1" "grpo 2" "ppo 2" | xargs -P 2 -L 1 bash -c 'one $0 $1'

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
source "$ROOT/bench/sanity/lib.sh"
one() {
  sanity_one "$OUT/$1-seed$2" "$OUT/$1-seed$2.log" --env frozenlake \
    --env-config '{"is_slippery": false, "map_name": "4x4"}' --pretrain-env-config '{"is_slippery": false}' --pretrain-steps 800 \
    --algo "$1" --weighting uniform --steps 40 --prompts-per-step 8 --group-size 8 --max-new-tokens 48 \
    --max-context 768 --eval-every 10 --eval-prompts 128 --seed "$2" --checkpoint-every 0
}
export -f one sanity_one; export ROOT OUT
printf '%s\n' "grpo 0" "ppo 0" "grpo 1" "ppo 1" "grpo 2" "ppo 2" | sanity_pool one

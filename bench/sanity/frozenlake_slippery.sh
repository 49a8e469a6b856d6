#!/usr/bin/env bash
# Issue 15's sanity table, FrozenLake slippery row (plan: docs/results.md, "Sanity table: FrozenLake 4x4
# slippery"): uniform GRPO and uniform PPO, seeds 0 1 2, Gymnasium's 4x4 map with its 1/3 slip, 30 turns of
# one action (the optimum there is 0.348; at the paper's 5 x 2 it is 0.037, too small to measure against);
# the warm start imitates the expert on random maps, not slippery, at the same budget; everything else as the
# not-slippery row (bench/sanity/frozenlake_gym4x4.sh). Resumable: a run whose run.json says "completed" is
# kept; any other is started again from scratch. Two runs at a time.
#   bash bench/sanity/frozenlake_slippery.sh [OUT_DIR]      (default docs/results/sanity/frozenlake-slippery)
# SANITY_STEPS and SANITY_RUNS ("grpo 0" lines) change the steps and the runs, for a pilot; SANITY_ENV_EXTRA
# adds settings to the training environment's config (e.g. '"format_penalty": 0', for a paired arm).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/docs/results/sanity/frozenlake-slippery}
STEPS=${SANITY_STEPS:-40}
RUNS=${SANITY_RUNS:-$(printf '%s\n' "grpo 0" "ppo 0" "grpo 1" "ppo 1" "grpo 2" "ppo 2")}
BUDGET='"max_turns": 30, "max_actions_per_turn": 1, "max_actions": 30'
EXTRA=${SANITY_ENV_EXTRA:+, $SANITY_ENV_EXTRA}
mkdir -p "$OUT"
source "$ROOT/bench/sanity/lib.sh"
one() {
  sanity_one "$OUT/$1-seed$2" "$OUT/$1-seed$2.log" --env frozenlake \
    --env-config "{\"is_slippery\": true, \"map_name\": \"4x4\", $BUDGET$EXTRA}" --pretrain-env-config "{\"is_slippery\": false, $BUDGET}" \
    --pretrain-steps 800 --algo "$1" --weighting uniform --steps "$STEPS" --prompts-per-step 8 --group-size 8 \
    --max-new-tokens 48 --max-context 768 --eval-every 10 --eval-prompts 128 --seed "$2" --checkpoint-every 0
}
export -f one sanity_one; export ROOT OUT STEPS BUDGET EXTRA
printf '%s\n' "$RUNS" | sanity_pool one

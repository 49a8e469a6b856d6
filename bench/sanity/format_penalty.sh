#!/usr/bin/env bash
# Issue 15's paired format-penalty checks (plans: docs/results.md, "The format-penalty hack, paired" and "The
# format penalty's size, paired"): GRPO+ActFocus from a weak warm start (400 steps) on Gymnasium's 4x4 map, not
# slippery, seeds 0 1 2, two arms that differ in one environment setting; otherwise frozenlake_gym4x4.sh's
# settings. Resumable (a completed run is kept), two runs at a time.
#   bash bench/sanity/format_penalty.sh [OUT_DIR]     whole-budget check: RAGEN's reward against
#       `format_penalty_whole_budget` (an episode ending early also pays for its unplayed turns)
#       (default docs/results/sanity/format-penalty)
#   FP_CHECK=size bash bench/sanity/format_penalty.sh [OUT_DIR]     size check: RAGEN's -0.1 per malformed
#       turn against 0 (default docs/results/sanity/format-penalty-size)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CHECK=${FP_CHECK:-whole-budget}
case "$CHECK" in
  whole-budget) ARMS=(ragen whole-budget); OUT=${1:-$ROOT/docs/results/sanity/format-penalty} ;;
  size) ARMS=(penalty-0.1 penalty-0); OUT=${1:-$ROOT/docs/results/sanity/format-penalty-size} ;;
  *) echo "FP_CHECK must be whole-budget or size, not '$CHECK'" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
# The one environment setting each arm changes (the rest of the env config is the same for both).
arm_config() {
  case "$1" in
    ragen | penalty-0.1) echo '' ;;
    whole-budget) echo ', "format_penalty_whole_budget": true' ;;
    penalty-0) echo ', "format_penalty": 0.0' ;;
  esac
}
source "$ROOT/bench/sanity/lib.sh"
one() {
  sanity_one "$OUT/$1-seed$2" "$OUT/$1-seed$2.log" --env frozenlake \
    --env-config "{\"is_slippery\": false, \"map_name\": \"4x4\"$(arm_config "$1")}" \
    --pretrain-env-config '{"is_slippery": false}' --pretrain-steps 400 \
    --algo grpo --weighting actfocus --steps 40 --prompts-per-step 8 --group-size 8 --max-new-tokens 48 \
    --max-context 768 --eval-every 10 --eval-prompts 128 --seed "$2" --checkpoint-every 0
}
export -f one arm_config sanity_one; export ROOT OUT
for seed in 0 1 2; do printf '%s %s\n%s %s\n' "${ARMS[0]}" "$seed" "${ARMS[1]}" "$seed"; done | sanity_pool one

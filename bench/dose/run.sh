#!/usr/bin/env bash
# Issue 19's dose-response experiment (plan, pre-registered: docs/results.md, "The Action Bottleneck as a
# dose-response"). One named part per call; resumable: a warm start whose model is on disk and a run whose
# run.json says "completed" are kept, anything else is started again from scratch. Two processes at a time.
#   bash bench/dose/run.sh PART [OUT_DIR]      PART: a (doses 0, 1, 4 sentences; or one dose each: a0, a1,
#                                              a4 — a alone is over 2.5 h on 2 cores), b (12 sentences),
#                                              c (PPO at 12), d (alpha/beta at 12), e (names_move, 1)
#                                              (default OUT_DIR docs/results/dose)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PART=${1:?usage: run.sh PART [OUT_DIR]}
OUT=${2:-$ROOT/docs/results/dose}
SEEDS=${DOSE_SEEDS:-"0 1 2 3 4 5 6"}
PY="$ROOT/.venv/bin/python"
mkdir -p "$OUT/warm" "$OUT/runs" "$OUT/logs"

# warm STYLE SENTENCES SEED: the warm start both methods of a (dose, seed) share.
warm() {
  local style=$1 n=$2 seed=$3 dir="$OUT/warm/$1-$2-seed$3"
  if [ -d "$dir" ]; then return; fi  # written under .tmp and renamed when whole
  rm -rf "$dir.tmp"
  local t0=$(date +%s)
  OMP_NUM_THREADS=1 "$PY" -m actfocus pretrain --env frozenlake --env-config '{"is_slippery": false}' --steps 800 \
    --reasoning "$style" --reasoning-sentences "$n" --max-context 1536 --seed "$seed" --out "$dir.tmp" > "$OUT/logs/warm-$1-$2-seed$3.log" 2>&1 \
    || { echo "FAILED warm start $dir (see $OUT/logs/warm-$1-$2-seed$3.log)"; return 1; }
  # Functions run under xargs' bash -c, without this script's `set -e`: each failure is checked by hand.
  mv "$dir.tmp" "$dir"
  printf 'warm\t%s-%s-seed%s\t%s\n' "$style" "$n" "$seed" "$(( $(date +%s) - t0 ))" >> "$OUT/logs/seconds.tsv"
}
# one NAME STYLE SENTENCES SEED ALGO WEIGHTING [EXTRA...]: one RL run from that warm start.
one() {
  local name=$1 style=$2 n=$3 seed=$4 algo=$5 weighting=$6; shift 6
  local dir="$OUT/runs/$name-seed$seed"
  if [ -f "$dir/run.json" ] && grep -q '"status": *"completed"' "$dir/run.json"; then echo "kept $dir"; return; fi
  warm "$style" "$n" "$seed" || { echo "SKIPPED $dir (no warm start)"; return 0; }
  rm -rf "$dir"
  local t0=$(date +%s)
  OMP_NUM_THREADS=1 "$PY" -m actfocus train --run-dir "$dir" --model "$OUT/warm/$style-$n-seed$seed" --env frozenlake \
    --env-config '{"is_slippery": false, "map_name": "4x4"}' --algo "$algo" --weighting "$weighting" "$@" \
    --steps 20 --prompts-per-step 8 --group-size 8 --max-new-tokens 160 --max-context 1536 \
    --eval-every 2 --eval-prompts 128 --seed "$seed" --checkpoint-every 0 > "$OUT/logs/$name-seed$seed.log" 2>&1 \
    || { echo "FAILED $dir (exit $?, see $OUT/logs/$name-seed$seed.log)"; return 0; }
  # A stop request (SIGTERM) also exits 0: only a run.json that says completed is a finished run.
  grep -q '"status": *"completed"' "$dir/run.json" 2>/dev/null || { echo "STOPPED $dir (not completed)"; return 0; }
  printf 'run\t%s-seed%s\t%s\n' "$name" "$seed" "$(( $(date +%s) - t0 ))" >> "$OUT/logs/seconds.tsv"
  echo "done $dir"
}
export -f warm one; export ROOT OUT PY

jobs() {  # NAME STYLE SENTENCES ALGO WEIGHTING [EXTRA...] for every seed
  # No trailing blank: xargs -L would join the next line to this one.
  for s in $SEEDS; do echo "$1 $2 $3 $s $4 $5 ${*:6}" | sed 's/ *$//'; done
}
case "$PART" in
  a) { for n in 0 1 4; do jobs "generic$n-grpo" generic $n grpo uniform; jobs "generic$n-grpo-actfocus" generic $n grpo actfocus; done; } ;;
  a0|a1|a4) { n=${PART#a}; jobs "generic$n-grpo" generic $n grpo uniform; jobs "generic$n-grpo-actfocus" generic $n grpo actfocus; } ;;
  b) { jobs generic12-grpo generic 12 grpo uniform; jobs generic12-grpo-actfocus generic 12 grpo actfocus; } ;;
  c) { jobs generic12-ppo generic 12 ppo uniform; jobs generic12-ppo-actfocus generic 12 ppo actfocus; } ;;
  d) { jobs generic12-grpo-actfocus-alpha0.05 generic 12 grpo actfocus --alpha 0.05; jobs generic12-grpo-actfocus-alpha0.2 generic 12 grpo actfocus --alpha 0.2;
       jobs generic12-grpo-actfocus-beta0.25 generic 12 grpo actfocus --beta 0.25; jobs generic12-grpo-actfocus-beta1 generic 12 grpo actfocus --beta 1.0; } ;;
  e) { jobs names1-grpo names_move 1 grpo uniform; jobs names1-grpo-actfocus names_move 1 grpo actfocus; } ;;
  *) echo "unknown part $PART (a a0 a1 a4 b c d e)" >&2; exit 2 ;;
esac > "$OUT/logs/jobs-$PART.txt"
if [ -n "${DOSE_DRY:-}" ]; then cat "$OUT/logs/jobs-$PART.txt"; exit 0; fi
# Two seeds at a time, whole: their warm starts (two processes), then their runs (two processes; two runs never
# build the same warm start at once). A part stopped midway thus leaves whole seeds behind, not every seed's
# warm starts and no runs.
set -- $SEEDS
while [ $# -gt 0 ]; do
  chunk="$1 ${2:-}"; shift; [ $# -gt 0 ] && shift
  awk -v c=" $chunk " 'index(c, " " $4 " ")' "$OUT/logs/jobs-$PART.txt" > "$OUT/logs/jobs-$PART-now.txt"
  awk '{print $2, $3, $4}' "$OUT/logs/jobs-$PART-now.txt" | sort -u | xargs -P 2 -L 1 bash -c 'warm $0 $1 $2' || true  # a failed one is named; its runs skip
  xargs -P 2 -L 1 bash -c 'one "$@"' _ < "$OUT/logs/jobs-$PART-now.txt"
done

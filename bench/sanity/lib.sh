# Shared by the sanity runners (sourced; they set ROOT, the repository root): one resumable training run,
# and a pool that runs two at a time, each on one thread (two cores).

# sanity_one DIR LOG TRAIN_ARGS...: keeps DIR if its run.json says "completed"; otherwise starts it again from
# scratch (`actfocus train --run-dir DIR TRAIN_ARGS...`, output to LOG). Prints kept, done or STOPPED.
sanity_one() {
  local dir=$1 log=$2
  shift 2
  if [ -f "$dir/run.json" ] && grep -q '"status": *"completed"' "$dir/run.json"; then echo "kept $dir"; return; fi
  rm -rf "$dir"
  OMP_NUM_THREADS=1 "$ROOT/.venv/bin/python" -m actfocus train --run-dir "$dir" "$@" > "$log" 2>&1 || true
  if grep -q '"status": *"completed"' "$dir/run.json" 2>/dev/null; then echo "done $dir"; else echo "STOPPED $dir (see $log)"; fi
}

# sanity_pool FN: calls `FN A B` for each "A B" line of its input, two at a time. FN and what it reads must be
# exported (export -f FN sanity_one; export ROOT ...).
sanity_pool() {
  xargs -P 2 -L 1 bash -c "$1"' "$0" "$1"'
}

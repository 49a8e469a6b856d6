#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what is missing, then runs every layer.
# Each layer prints its runner's summary; the command fails if any layer fails or runs no test.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
start=$(date +%s)
bash scripts/setup.sh node host browser codeserver verl || { echo "set-up failed" >&2; exit 1; }

failed=()
log=$(mktemp)
# Each layer's whole output is kept here; a failing layer's is printed in full (up to FULL_LINES), since a
# failure that does not come back (a flaky test) can only be understood from what the one run printed.
keep=test-output/layers
mkdir -p "$keep"
FULL_LINES=1500
show_failure() {
  local name=$1
  echo "--- whole output kept in $keep/$name.log ($(wc -l < "$log") lines); up to $FULL_LINES of them:"
  head -n "$FULL_LINES" "$log"
}
# layer NAME CMD...: run one layer, echo its summary, record failure or an empty run.
layer() {
  local name=$1; shift
  echo "=== $name: $*"
  "$@" 2>&1 | tee "$log" | grep -E '^# (tests|pass|fail|skipped) |^(FAILED|ERROR)|^not ok|^=+ .*(passed|failed|error).* =+$|[0-9]+ (passed|failed)'
  local rc=${PIPESTATUS[0]}
  cp "$log" "$keep/$name.log"
  local ran
  ran=$(grep -E '^# tests [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  [ "$ran" = 0 ] && ran=$(grep -oE '[0-9]+ passed' "$log" | tail -1 | awk '{print $1+0}')
  if [ "$rc" != 0 ]; then
    echo "--- $name FAILED (exit $rc)"; show_failure "$name"; failed+=("$name")
  elif [ "${ran:-0}" = 0 ]; then
    echo "--- $name ran no test"; failed+=("$name (no tests)")
  fi
}

# step NAME CMD...: a build step (no tests of its own); fails the command if it fails.
step() {
  local name=$1; shift
  echo "=== $name: $*"
  local rc=0
  "$@" >"$log" 2>&1 || rc=$?
  cp "$log" "$keep/$name.log"
  if [ "$rc" != 0 ]; then echo "--- $name FAILED"; show_failure "$name"; failed+=("$name"); return 1; fi
}

step typecheck npm run -s typecheck
step build npm run -s build
layer ts-unit npm run -s test:unit
layer host-pytest .venv/bin/python -m pytest -q -p no:cacheprovider host/tests --ignore=host/tests/verl
# The verl plugin against verl itself, installed from the package index in its own venv.
layer verl .venv-verl/bin/python -m pytest -q -p no:cacheprovider host/tests/verl
layer webview npm run -s test:webview
# e2e installs the packaged .vsix into code-server, as a user would.
step package npm run -s package && ls -l dist/actfocus.vsix && layer e2e npm run -s test:e2e
# Every command in README.md and docs/*.md, run as written on the smoke budget (test/docs).
layer docs .venv/bin/python -m pytest -q -p no:cacheprovider test/docs

echo "=== total wall time: $(( $(date +%s) - start ))s"
if [ ${#failed[@]} -ne 0 ]; then echo "FAILED layers: ${failed[*]}"; exit 1; fi
echo "all layers passed"

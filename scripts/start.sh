#!/usr/bin/env bash
# Main job on the embedded default: build and package the extension, install it into code-server
# (a real VS Code, on localhost), start a real short ActFocus run on CPU (GRPO+ActFocus on Gymnasium's
# 4x4 FrozenLake map, not slippery; the built-in model is first warm-started on random maps, ~2-3 min), and
# open the dashboard on it, live. Prints the URL. Held-out success rises from ~0.2 to ~0.7 within 20-30
# steps, ~2-5 min in all (docs/results.md, "The demo"; random maps do not learn at this model size).
# Ctrl+C stops code-server (the run goes on in the background until done; stop it from the dashboard).
# PORT (default 8080), ACTFOCUS_WORKSPACE (default ./playground) and DEMO_STEPS (default 40) can be set.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
bash scripts/setup.sh node host codeserver
npm run -s package >/dev/null
eval "$(bash scripts/setup.sh env)"
PORT=${PORT:-8080}
WS=${ACTFOCUS_WORKSPACE:-$ROOT/playground}
STATE=${ACTFOCUS_CACHE:-$HOME/.cache/actfocus-vscode}/demo
mkdir -p "$WS/.vscode" "$STATE/user/User" "$STATE/extensions"
cat > "$WS/.vscode/settings.json" <<JSON
{ "actfocus.dashboard.openOnStartup": true, "actfocus.pythonPath": "$ROOT/.venv/bin/python" }
JSON
[ -f "$STATE/user/User/settings.json" ] || echo '{ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off" }' > "$STATE/user/User/settings.json"
export PATH="$(dirname "$CODE_SERVER_NODE"):$PATH"
"$CODE_SERVER_BIN" --extensions-dir "$STATE/extensions" --user-data-dir "$STATE/user" --force --install-extension dist/actfocus.vsix >/dev/null
# The demo run: the same command line the extension's New Training Run builds, in its own session so
# it outlives this script; its stdout/stderr go to host.log, which the dashboard's log pane shows.
RUN="$WS/runs/demo-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
setsid "$ROOT/.venv/bin/python" -m actfocus train --run-dir "$RUN" --env frozenlake \
  --env-config '{"is_slippery": false, "map_name": "4x4"}' --pretrain-env-config '{"is_slippery": false}' --pretrain-steps 800 \
  --algo grpo --weighting actfocus --steps "${DEMO_STEPS:-40}" --prompts-per-step 8 --group-size 8 --max-new-tokens 48 \
  --max-context 768 --eval-every 5 --eval-prompts 32 >>"$RUN/host.log" 2>&1 < /dev/null &
echo "Started the demo run $RUN (warm start ~2-3 min, then ${DEMO_STEPS:-40} steps of ~1-3 s)."
echo
echo "ActFocus is running in VS Code (code-server): http://127.0.0.1:$PORT/?folder=$WS"
echo "Open that URL in a browser; the ActFocus dashboard opens on the live run by itself. Ctrl+C to stop."
exec "$CODE_SERVER_BIN" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --extensions-dir "$STATE/extensions" --user-data-dir "$STATE/user" "$WS"

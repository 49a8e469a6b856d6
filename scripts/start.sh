#!/usr/bin/env bash
# Main job on the embedded default: build and package the extension, install it into code-server
# (a real VS Code, on localhost), open a demo workspace with the ActFocus dashboard, print the URL.
# Ctrl+C stops it. PORT (default 8080) and ACTFOCUS_WORKSPACE (default ./playground) can be set.
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
[ -f "$WS/.vscode/settings.json" ] || cat > "$WS/.vscode/settings.json" <<JSON
{ "actfocus.dashboard.openOnStartup": true }
JSON
[ -f "$STATE/user/User/settings.json" ] || echo '{ "workbench.startupEditor": "none", "security.workspace.trust.enabled": false, "telemetry.telemetryLevel": "off" }' > "$STATE/user/User/settings.json"
export PATH="$(dirname "$CODE_SERVER_NODE"):$PATH"
"$CODE_SERVER_BIN" --extensions-dir "$STATE/extensions" --user-data-dir "$STATE/user" --force --install-extension dist/actfocus.vsix >/dev/null
echo
echo "ActFocus is running in VS Code (code-server): http://127.0.0.1:$PORT/?folder=$WS"
echo "Open that URL in a browser; the ActFocus dashboard opens by itself. Ctrl+C to stop."
exec "$CODE_SERVER_BIN" --auth none --bind-addr "127.0.0.1:$PORT" --disable-telemetry --disable-update-check \
  --disable-workspace-trust --extensions-dir "$STATE/extensions" --user-data-dir "$STATE/user" "$WS"

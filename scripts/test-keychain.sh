#!/usr/bin/env bash
# The ledger key store against a real Secret Service: a private D-Bus session with an unlocked
# gnome-keyring, then the keychain test file (which requires the keychain kind when
# GUARD_TEST_SECRET_SERVICE=1). Run by .ci/run after `npm test`.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in dbus-run-session gnome-keyring-daemon; do
  command -v "$tool" >/dev/null || { echo "test-keychain: $tool is missing (apt-get install gnome-keyring dbus)" >&2; exit 1; }
done
exec dbus-run-session -- bash -c '
  set -euo pipefail
  export HOME="$(mktemp -d)"            # a throw-away login keyring
  eval "$(echo -n pw | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL SSH_AUTH_SOCK 2>/dev/null || true
  GUARD_TEST_SECRET_SERVICE=1 npx vitest run test/ledger/keychain-secret-service.test.ts
'

/**
 * The real OS keychain path: run by scripts/test-keychain.sh inside `dbus-run-session` with an
 * unlocked gnome-keyring and GUARD_TEST_SECRET_SERVICE=1. Without that variable it is skipped.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeychainKeyStore } from '../../src/keys/index.js';
import { openLedger } from '../../src/ledger/index.js';
import { keyName } from '../../src/ledger/signer.js';
import { makeHome, type TestHome } from './helpers.js';

const enabled = process.env['GUARD_TEST_SECRET_SERVICE'] === '1';
let h: TestHome;
afterEach(() => h?.cleanup());

describe.skipIf(!enabled)('OS keychain through the Secret Service (gnome-keyring)', () => {
  it('keeps the key in the keychain, records the kind, rotates and deletes the old key', async () => {
    h = makeHome();
    const env = { ...h.env };
    delete env['GUARD_KEYSTORE'];
    const warnings: string[] = [];
    const opts = { path: h.dbPath, env, guardVersion: 't', warn: (m: string) => warnings.push(m) };
    const l = await openLedger(opts);
    expect(l.keyStoreKind).toBe('keychain');
    expect(warnings).toEqual([]);
    expect((l.read({ type: 'ledger_open' })[0]!.payload as { key_store: string }).key_store).toBe('keychain');
    const first = l.publicKey().current;
    await l.rotate();
    const second = l.publicKey().current;
    await l.close();
    const store = await KeychainKeyStore.open();
    const origin = first.split('+')[0]!;
    expect(await store.get(keyName(origin, first.split('+')[1]!))).toBeUndefined();
    expect(await store.get(keyName(origin, second.split('+')[1]!))).toMatch(/^[A-Za-z0-9+/=]+$/);
    // no key file was written
    let files: string[] = [];
    try {
      files = readdirSync(join(h.home, 'keys'));
    } catch {
      files = [];
    }
    expect(files.filter((f) => f.endsWith('.key'))).toEqual([]);
    // reopen: the key is loaded from the keychain
    const again = await openLedger(opts);
    await again.append('request', { requestId: 'k1' });
    expect(again.publicKey().current).toBe(second);
    await again.close();
    await store.delete(keyName(origin, second.split('+')[1]!));
  });
});

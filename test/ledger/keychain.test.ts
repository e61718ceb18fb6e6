import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openLedger } from '../../src/ledger/index.js';
import { LedgerKeyError } from '../../src/ledger/errors.js';
import { makeHome, open, type TestHome } from './helpers.js';

let h: TestHome;
afterEach(() => h?.cleanup());

const noSecretService = process.env['DBUS_SESSION_BUS_ADDRESS'] === undefined;

describe('key store', () => {
  it.skipIf(!noSecretService)(
    'falls back to a 0600 file when no keychain answers, warning once per install',
    async () => {
      h = makeHome();
      const env = { ...h.env };
      delete env['GUARD_KEYSTORE'];
      const warnings: string[] = [];
      const opts = { path: h.dbPath, env, guardVersion: 't', warn: (m: string) => warnings.push(m) };
      const l1 = await openLedger(opts);
      expect(l1.keyStoreKind).toBe('file');
      await l1.close();
      const l2 = await openLedger(opts);
      expect(l2.read({ type: 'ledger_open' }).map((r) => (r.payload as { key_store: string }).key_store)).toEqual([
        'file',
        'file',
      ]);
      await l2.close();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/no OS keychain answered .* 0600 file/);
    },
  );

  it('GUARD_KEYSTORE=keychain without a keychain fails closed', async () => {
    h = makeHome();
    if (!noSecretService) return; // a keychain exists here: nothing to refuse
    await expect(open(h, { env: { ...h.env, GUARD_KEYSTORE: 'keychain' } })).rejects.toBeInstanceOf(LedgerKeyError);
  });

  it('a missing or swapped key file refuses appends (fail closed)', async () => {
    h = makeHome();
    const l = await open(h);
    await l.close();
    const dir = join(h.home, 'keys');
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.key'));
    rmSync(join(dir, file!));
    await expect(open(h)).rejects.toThrow(/missing from the file key store/);
    const { generateKeyPairSync } = await import('node:crypto');
    const other = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    writeFileSync(join(dir, file!), `${other}\n`, { mode: 0o600 });
    await expect(open(h)).rejects.toThrow(/does not match the ledger's public key/);
  });

  it('rejects an invalid GUARD_KEYSTORE value', async () => {
    h = makeHome();
    await expect(open(h, { env: { ...h.env, GUARD_KEYSTORE: 'vault' } })).rejects.toThrow(/GUARD_KEYSTORE must be/);
  });
});

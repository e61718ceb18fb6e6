/** The built CLI (bin/guard.js → dist/) in real processes: pubkey, export, verify exit codes 0 / 1 / 2. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, smallLedger, type TestHome } from './helpers.js';

let h: TestHome;
afterEach(() => h?.cleanup());

const bin = join(process.cwd(), 'bin', 'guard.js');
const run = (args: string[], env: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });

describe('guard ledger (built CLI)', () => {
  it('exports and verifies; a tampered bundle exits 1; a missing trust anchor exits 2', async () => {
    h = makeHome();
    const l = await smallLedger(h, 3);
    await l.close();
    const pub = join(h.home, 'pin.pub');
    const bundle = join(h.home, 'b.tar');
    expect(run(['ledger', 'pubkey', '--out', pub], h.env).status).toBe(0);
    expect(run(['ledger', 'export', '--out', bundle], h.env).status).toBe(0);
    const ok = run(['ledger', 'verify', bundle, '--pubkey', pub], h.env);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^intact: 4 records/);
    const bytes = readFileSync(bundle);
    const at = bytes.indexOf('"argv"');
    bytes[at + 3] = bytes[at + 3]! ^ 0x01;
    const bad = join(h.home, 'bad.tar');
    writeFileSync(bad, bytes);
    const tampered = run(['ledger', 'verify', bad, '--pubkey', pub], h.env);
    expect(tampered.status).toBe(1);
    expect(tampered.stderr).toMatch(/^guard: bundle: records does not match its MANIFEST digest/);
    expect(run(['ledger', 'verify', bundle], h.env).status).toBe(2);
  });
});

/**
 * Bundles handled by standard tools: a bundle extracted and re-packed by GNU tar (gnu, posix and
 * ustar formats, with directory entries and `./` names) still verifies, and a re-pack that changes
 * a byte does not. Checkpoints follow the C2SP signed-note rules: extra signature lines by other
 * keys (witness cosignatures) are ignored by verification and reported; the log's own signature
 * must still be present and valid.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle, verifyBundleFile } from '../../src/ledger/bundle.js';
import { keyIdOf, parseCheckpoint, rawPublicKey, signCheckpoint } from '../../src/ledger/note.js';
import { rebuild, tamperFixture } from './tamper-helpers.js';

let fx: Awaited<ReturnType<typeof tamperFixture>>;
let dir: string;
beforeAll(async () => {
  fx = await tamperFixture();
  dir = mkdtempSync(join(tmpdir(), 'guard-interop-'));
});
afterAll(() => {
  fx.h.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

function extract(name: string): string {
  const out = join(dir, name);
  mkdirSync(out);
  writeFileSync(join(out, '..', `${name}.orig.tar`), fx.bundle);
  execFileSync('tar', ['-xf', join(out, '..', `${name}.orig.tar`), '-C', out]);
  return out;
}

describe('a bundle re-packed by GNU tar', () => {
  const variants: [string, string[]][] = [
    ['gnu', ['--format=gnu', 'VERIFY', 'MANIFEST', 'records', 'checkpoints']],
    ['posix', ['--format=posix', 'MANIFEST', 'checkpoints', 'records', 'VERIFY']],
    ['ustar', ['--format=ustar', 'records', 'VERIFY', 'checkpoints', 'MANIFEST']],
    ['dot', ['--format=gnu', '.']],
  ];
  for (const [label, args] of variants) {
    it(`verifies after a re-pack (${label})`, () => {
      const src = extract(label);
      const tarFile = join(dir, `${label}.tar`);
      execFileSync('tar', ['-cf', tarFile, '-C', src, ...args]);
      const r = verifyBundleFile(tarFile, fx.genesis);
      expect(r.size).toBe(fx.parts.records.length);
      expect(r.keyRotations).toBe(1);
    });
  }

  it('fails when the re-packed records differ by one byte', () => {
    const src = extract('changed');
    const recs = readFileSync(join(src, 'records'));
    const i = recs.indexOf('rm');
    recs[i] = 'R'.charCodeAt(0);
    writeFileSync(join(src, 'records'), recs);
    const tarFile = join(dir, 'changed.tar');
    execFileSync('tar', ['-cf', tarFile, '-C', src, 'VERIFY', 'MANIFEST', 'records', 'checkpoints']);
    expect(() => verifyBundleFile(tarFile, fx.genesis)).toThrow(/records does not match its MANIFEST digest/);
  });

  it('refuses links and a file that appears twice', () => {
    const src = extract('links');
    execFileSync('ln', ['-s', 'records', join(src, 'alias')]);
    const tarFile = join(dir, 'links.tar');
    execFileSync('tar', ['-cf', tarFile, '-C', src, 'VERIFY', 'MANIFEST', 'records', 'checkpoints', 'alias']);
    expect(() => verifyBundleFile(tarFile, fx.genesis)).toThrow(/alias is not a regular file/);
    const twice = join(dir, 'twice.tar');
    execFileSync('tar', ['-cf', twice, '-C', src, 'VERIFY', 'MANIFEST', 'records', 'checkpoints', 'records']);
    expect(() => verifyBundleFile(twice, fx.genesis)).toThrow(/records(: appears twice| is not a regular file)/);
  });
});

describe('checkpoints with extra signature lines (C2SP signed note)', () => {
  const witness = generateKeyPairSync('ed25519');
  const wName = 'witness.example/w1';
  const wId = keyIdOf(wName, rawPublicKey(witness.publicKey));

  function cosign(text: string): string {
    const cp = parseCheckpoint(text);
    if (typeof cp === 'string') throw new Error(cp);
    const line = signCheckpoint(cp, witness.privateKey, { name: wName, keyId: wId }).split('\n\n')[1]!;
    return text + line;
  }

  const finalIndex = (): number => fx.parts.checkpoints.findIndex((c) => c.size === fx.parts.records.length);

  it('ignores a witness cosignature and reports it', () => {
    const checkpoints = fx.parts.checkpoints.map((c, i) => (i === finalIndex() ? { ...c, text: cosign(c.text) } : c));
    const r = verifyBundle(rebuild({ ...fx.parts, checkpoints }), fx.genesis);
    expect(r.size).toBe(fx.parts.records.length);
    expect(r.witnesses).toEqual([
      { checkpoint: `checkpoints/${r.size}`, size: r.size, name: wName, keyId: wId.toString('hex') },
    ]);
  });

  it('accepts the signature lines in any order; an unknown key with an odd signature length is ignored', () => {
    const checkpoints = fx.parts.checkpoints.map((c, i) => {
      if (i !== finalIndex()) return c;
      const [body, own] = c.text.split('\n\n') as [string, string];
      const other = `\u2014 other.example ${Buffer.concat([Buffer.from('abcd'), Buffer.alloc(40, 7)]).toString('base64')}\n`;
      return { ...c, text: `${body}\n\n${other}${own}` };
    });
    expect(verifyBundle(rebuild({ ...fx.parts, checkpoints }), fx.genesis).witnesses).toHaveLength(1);
  });

  it('still needs the log signature: cosignatures alone, or a second line by the same key, fail', () => {
    const only = fx.parts.checkpoints.map((c, i) => {
      if (i !== finalIndex()) return c;
      const cp = parseCheckpoint(c.text);
      if (typeof cp === 'string') throw new Error(cp);
      return { ...c, text: signCheckpoint(cp, witness.privateKey, { name: wName, keyId: wId }) };
    });
    expect(() => verifyBundle(rebuild({ ...fx.parts, checkpoints: only }), fx.genesis)).toThrow(
      /signed under a key name other than its origin/,
    );
    const dup = fx.parts.checkpoints.map((c, i) => {
      if (i !== finalIndex()) return c;
      const own = c.text.split('\n\n')[1]!;
      return { ...c, text: c.text + own };
    });
    expect(() => verifyBundle(rebuild({ ...fx.parts, checkpoints: dup }), fx.genesis)).toThrow(
      /two signatures by the same key/,
    );
  });

  it('a bad signature by the log key fails even when a cosignature verifies', () => {
    const checkpoints = fx.parts.checkpoints.map((c, i) => {
      if (i !== finalIndex()) return c;
      const [body, own] = c.text.split('\n\n') as [string, string];
      const sig = Buffer.from(own.trim().split(' ')[2]!, 'base64');
      sig[10] = sig[10]! ^ 1;
      return { ...c, text: cosign(`${body}\n\n\u2014 ${own.trim().split(' ')[1]} ${sig.toString('base64')}\n`) };
    });
    expect(() => verifyBundle(rebuild({ ...fx.parts, checkpoints }), fx.genesis)).toThrow(/signature does not verify/);
  });
});

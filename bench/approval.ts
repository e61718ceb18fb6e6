/**
 * Approval core costs, each against the raw node:crypto operation it wraps (same run, interleaved):
 * signing a decision, checking one on the daemon side, unlocking a key (scrypt), fingerprinting.
 */
import { createHash, createPublicKey, generateKeyPairSync, scryptSync, sign, verify } from 'node:crypto';
import {
  checkDecision,
  createApproverKey,
  DEFAULT_SCRYPT,
  publicKeyFingerprint,
  requestFingerprint,
  unlockApproverKey,
  type ApproverRecord,
} from '../src/approval/index.js';
import { fmt, median, quantile } from './lib.js';
import type { Suite } from './suites.js';

function timeEach(runs: number, cases: Record<string, () => unknown>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const k of Object.keys(cases)) out[k] = [];
  for (let i = 0; i < runs; i++) {
    for (const [k, f] of Object.entries(cases)) {
      const t0 = performance.now();
      f();
      out[k]!.push(performance.now() - t0);
    }
  }
  return out;
}

function line(label: string, ours: number[], base: number[], unit = 'ms'): void {
  const o = median(ours);
  const b = median(base);
  process.stdout.write(
    `${label.padEnd(34)} median ${fmt(o, 3)} ${unit}  p99 ${fmt(quantile(ours, 0.99), 3)}  baseline ${fmt(b, 3)}  ratio ${fmt(o / b)}\n`,
  );
}

export const approvalSuite: Suite = {
  name: 'approval',
  async run() {
    const runs = Number(process.env['BENCH_RUNS'] ?? 2000);
    const pass = Buffer.from('a long enough passphrase');
    const created = createApproverKey(pass);
    const key = unlockApproverKey(created.encrypted, pass);
    const rec: ApproverRecord = {
      name: 'alice',
      groups: ['sre'],
      publicKey: created.publicKey,
      fingerprint: publicKeyFingerprint(created.publicKey),
      enrolledAt: new Date().toISOString(),
    };
    const fp = 'f'.repeat(64);
    const now = new Date();
    const statement = {
      v: 1 as const,
      requestId: 'req-1',
      fingerprint: fp,
      action: 'approve' as const,
      at: now.toISOString(),
      approver: 'alice',
    };
    const signed = key.sign(statement);
    const request = {
      id: 'req-1',
      fingerprint: fp,
      createdAt: new Date(now.getTime() - 1000).toISOString(),
      state: 'pending',
    };
    const raw = generateKeyPairSync('ed25519');
    const bytes = Buffer.from(JSON.stringify(statement));
    const rawSig = sign(null, bytes, raw.privateKey);
    const pub = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(created.publicKey, 'base64').toString('base64url') },
      format: 'jwk',
    });
    const fpInput = {
      argv: ['terraform', 'destroy', '-auto-approve', '-var', 'env=prod'],
      cwd: '/srv/infra',
      requester: { user: 'agent', agent: 'claude-code', host: 'box' },
    };

    const r = timeEach(runs, {
      sign: () => key.sign(statement),
      rawSign: () => sign(null, bytes, raw.privateKey),
      check: () => checkDecision({ signed, request, approvers: [rec], now }),
      rawVerify: () => verify(null, bytes, pub, rawSig),
      fingerprint: () => requestFingerprint(fpInput),
      rawHash: () => createHash('sha256').update(JSON.stringify(fpInput)).digest('hex'),
    });
    process.stdout.write(`runs per case: ${runs} (interleaved)\n`);
    line('sign decision (key.sign)', r['sign']!, r['rawSign']!);
    line('checkDecision (schema+verify)', r['check']!, r['rawVerify']!);
    line('requestFingerprint', r['fingerprint']!, r['rawHash']!);

    const slow = Number(process.env['BENCH_UNLOCK_RUNS'] ?? 8);
    const salt = Buffer.alloc(16, 1);
    const u = timeEach(slow, {
      unlock: () => unlockApproverKey(created.encrypted, pass).dispose(),
      rawScrypt: () => scryptSync(pass, salt, 32, { ...DEFAULT_SCRYPT, maxmem: 256 * 1024 * 1024 }),
    });
    process.stdout.write(`unlock runs: ${slow} (scrypt N=2^17, r=8, p=1)\n`);
    line('unlockApproverKey', u['unlock']!, u['rawScrypt']!);
    key.dispose();
  },
};

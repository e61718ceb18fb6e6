import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { requestFingerprint } from '../../src/approval/index.js';
import { FailClosedError } from '../../src/errors.js';
import { requester } from './helpers.js';

const base = { argv: ['terraform', 'destroy', '-auto-approve'], cwd: '/srv/infra', requester };

describe('requestFingerprint', () => {
  it('is a stable sha256 hex for the same input', () => {
    const a = requestFingerprint(base);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ ...base, argv: [...base.argv], requester: { ...requester } })).toBe(a);
    // key order of the requester does not matter, undefined fields are the same as absent
    expect(
      requestFingerprint({
        ...base,
        requester: { onBehalfOf: 'carol', host: 'box', agent: 'claude-code', user: 'agentuser' },
      }),
    ).toBe(a);
  });

  it('changes with any argv byte, argv split, cwd, requester field, program or env digest', () => {
    const a = requestFingerprint(base);
    const variants = [
      { ...base, argv: ['terraform', 'destroy', '-auto-approvE'] },
      { ...base, argv: ['terraform', 'destroy -auto-approve'] },
      { ...base, argv: ['terraform', 'destroy', '-auto-approve', ''] },
      { ...base, cwd: '/srv/infra/' },
      { ...base, requester: { ...requester, user: 'other' } },
      { ...base, requester: { ...requester, agent: 'codex' } },
      { ...base, requester: { ...requester, host: undefined } },
      { ...base, requester: { ...requester, onBehalfOf: 'dave' } },
      { ...base, programSha256: '0'.repeat(64) },
      { ...base, envDigest: '1'.repeat(64) },
    ];
    const all = new Set([a, ...variants.map(requestFingerprint)]);
    expect(all.size).toBe(variants.length + 1);
  });

  it('binds to the exact raw bytes, base64-wrapping invalid UTF-8', () => {
    const lossy = ['rm', '\uFFFD'];
    const raw1 = [Buffer.from('rm'), Buffer.from([0xff])];
    const raw2 = [Buffer.from('rm'), Buffer.from([0xfe])];
    const f1 = requestFingerprint({ ...base, argv: lossy, rawArgv: raw1 });
    const f2 = requestFingerprint({ ...base, argv: lossy, rawArgv: raw2 });
    expect(f1).not.toBe(f2);
    expect(f1).not.toBe(requestFingerprint({ ...base, argv: lossy }));
    // valid UTF-8 raw bytes give the same fingerprint as the decoded strings
    expect(requestFingerprint({ ...base, argv: ['ls', 'é'], rawArgv: [Buffer.from('ls'), Buffer.from('é')] })).toBe(
      requestFingerprint({ ...base, argv: ['ls', 'é'] }),
    );
    // a string that looks like the wrapper cannot collide with wrapped bytes
    expect(requestFingerprint({ ...base, argv: ['rm', JSON.stringify({ b64: '/w==' })] })).not.toBe(f1);
  });

  it('fails closed when raw argv does not line up with argv', () => {
    expect(() => requestFingerprint({ ...base, rawArgv: [Buffer.from('terraform')] })).toThrow(FailClosedError);
  });

  it('never throws on arbitrary strings (lone surrogates included) and separates distinct argv', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' })),
        fc.array(fc.string({ unit: 'binary' })),
        fc.string({ unit: 'binary' }),
        (a, b, cwd) => {
          const fa = requestFingerprint({ argv: a, cwd, requester });
          const fb = requestFingerprint({ argv: b, cwd, requester });
          expect(fa === fb).toBe(JSON.stringify(a) === JSON.stringify(b));
        },
      ),
      { numRuns: 500 },
    );
  });
});

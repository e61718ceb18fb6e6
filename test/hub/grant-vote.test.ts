/**
 * The signature of a hub grant action (decision 1103): an extension or revocation is a v3 vote under
 * its own domain, so a daemon that predates it (checking v1, or v1 and v2) refuses it as unsigned;
 * the hub signs only the v3 shapes (an extension with `from` and `to`, a revocation without them,
 * neither with a scope, a question or a relayed decision), and a signature does not carry over to
 * another action, another grant or another version.
 */
import { verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newVoteKeyPem, parseVoteKey, signVote, voteSignatureValid, type VoteBody } from '../../src/hub/vote.js';
import { canonicalBytes } from '../../src/util/canonical.js';

const { privatePem, publicKey } = newVoteKeyPem();
const key = parseVoteKey(publicKey);
const FROM = { usesLeft: 1, expiresAt: '2026-01-01T00:15:00.000Z' };
const TO = { usesLeft: 3, expiresAt: '2026-01-01T01:00:00.000Z' };
const body = (extra: Partial<VoteBody>): VoteBody => ({
  v: 3,
  vote: '7',
  host: 'h-0000000000000000',
  requestId: 'rq-000000000000',
  action: 'revoke',
  identity: { channel: 'hub-web', id: 'alice', verifiedBy: 'hub+idp:https://idp.example' },
  at: '2026-01-01T00:00:00.000Z',
  ...extra,
});

/** How a daemon verifies under one domain, whatever the body says (one that predates the version). */
const acceptedUnder = (domain: string, b: VoteBody, signature: string): boolean =>
  verify(
    null,
    Buffer.concat([Buffer.from(`${domain}\n`), canonicalBytes(JSON.parse(JSON.stringify(b)))]),
    key,
    Buffer.from(signature, 'base64'),
  );

describe('hub grant actions: the signature', () => {
  it('a revocation and an extension are v3 under their own domain: daemons that predate it refuse them', () => {
    for (const b of [body({}), body({ action: 'extend', from: FROM, to: TO })]) {
      const sig = signVote(b, privatePem);
      expect(voteSignatureValid(b, sig, key)).toBe(true);
      expect(acceptedUnder('guard-hub-vote-v1', b, sig)).toBe(false);
      expect(acceptedUnder('guard-hub-vote-v2', b, sig)).toBe(false);
    }
  });

  it('a signature does not carry over to another action, another grant or another version', () => {
    const ext = body({ action: 'extend', from: FROM, to: TO });
    const sig = signVote(ext, privatePem);
    expect(voteSignatureValid({ ...ext, to: { ...TO, usesLeft: 1000 } }, sig, key)).toBe(false);
    expect(voteSignatureValid({ ...ext, from: { ...FROM, usesLeft: 2 } }, sig, key)).toBe(false);
    const { from: _f, to: _t, ...bare } = ext;
    expect(voteSignatureValid({ ...bare, action: 'revoke' }, sig, key)).toBe(false);
    expect(voteSignatureValid({ ...ext, v: 1 }, sig, key)).toBe(false);
    const revoke = body({});
    expect(voteSignatureValid({ ...revoke, requestId: 'rq-111111111111' }, signVote(revoke, privatePem), key)).toBe(
      false,
    );
  });

  it('the hub signs only the v3 shapes', () => {
    const malformed: Partial<VoteBody>[] = [
      { v: 1 },
      { v: 2, scope: 'u3-t900' },
      { action: 'approve' },
      { from: FROM, to: TO },
      { action: 'extend' },
      { action: 'extend', from: FROM },
      { scope: 'u3-t900' },
      { question: 'why?' },
    ];
    for (const m of malformed) expect(() => signVote(body(m), privatePem), JSON.stringify(m)).toThrow(/malformed/);
    // and no approval carries an extension's fields
    expect(() => signVote(body({ v: 1, action: 'approve', from: FROM, to: TO }), privatePem)).toThrow(/malformed/);
  });
});

/**
 * Tamper suite: every alteration of a real exported bundle (or database) must be detected with
 * the expected reason, and the verifier must only ever throw VerifyFailedError.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from '../../src/ledger/bundle.js';
import { VerifyFailedError } from '../../src/ledger/errors.js';
import { consistencyProof, leafHash } from '../../src/ledger/merkle.js';
import { rawPublicKey, verifierKey, type VerifierKey } from '../../src/ledger/note.js';
import type { BundleParts } from '../../src/ledger/bundle.js';
import type { TestHome } from './helpers.js';
import { decode, forgeCheckpoints, rebuild, rechain, replaceEntry, tamperFixture } from './tamper-helpers.js';

let h: TestHome;
let genesis: VerifierKey;
let bundle: Buffer;
let parts: BundleParts;
let currentKey: KeyObject;
let currentVk: VerifierKey;

beforeAll(async () => {
  ({ h, genesis, bundle, parts, currentKey, currentVk } = await tamperFixture());
});
afterAll(() => h.cleanup());

function expectFailure(f: () => unknown, reason: RegExp): VerifyFailedError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(VerifyFailedError);
    expect((err as Error).message).toMatch(reason);
    return err as VerifyFailedError;
  }
  throw new Error(`verification passed; expected failure matching ${reason}`);
}

const withParts = (p: Partial<BundleParts>) => rebuild({ ...parts, ...p });

describe('tamper suite', () => {
  it('the untouched bundle verifies (control)', () => {
    const r = verifyBundle(bundle, genesis);
    expect(r.size).toBe(7);
    expect(r.keyRotations).toBe(1);
    expect(parts.checkpoints.map((c) => c.size)).toEqual([5, 7]);
  });

  it('a changed byte in a record: MANIFEST digest, and with the manifest rewritten, the record', () => {
    const records = parts.records.map((r) => Buffer.from(r));
    const i = records[2]!.indexOf('x1');
    records[2]![i] = 'y'.charCodeAt(0);
    const data = Buffer.concat(records.flatMap((r) => [r, Buffer.from('\n')]));
    expectFailure(
      () => verifyBundle(replaceEntry(bundle, 'records', data), genesis),
      /records does not match its MANIFEST digest/,
    );
    const e = expectFailure(
      () => verifyBundle(withParts({ records }), genesis),
      /record 4: prev does not match the hash of record 3/,
    );
    expect(e.details['seq']).toBe(4);
  });

  it('record deletion', () => {
    const records = parts.records.filter((_, i) => i !== 2);
    expectFailure(() => verifyBundle(withParts({ records }), genesis), /record 3: has seq 4/);
  });

  it('deletion plus renumbering plus re-chaining without the key', () => {
    const recs = decode(parts.records).filter((_, i) => i !== 2);
    const records = rechain(recs);
    // the chain is consistent again, but the rotation moved to seq 4, where no signed hand-over exists
    expectFailure(
      () => verifyBundle(withParts({ records }), genesis),
      /record 4: key rotation has no hand-over checkpoint at size 4/,
    );
    // same record count (a deleted record replaced by an innocent one): the signed root no longer matches
    const swapped = decode(parts.records);
    swapped[2] = { ...swapped[2]!, payload: { requestId: 'r1', argv: ['ls'] } };
    expectFailure(
      () => verifyBundle(withParts({ records: rechain(swapped) }), genesis),
      /checkpoints\/5: root .* does not match records 1\.\.5/,
    );
  });

  it('reorder', () => {
    const records = parts.records.slice();
    [records[1], records[2]] = [records[2]!, records[1]!];
    expectFailure(() => verifyBundle(withParts({ records }), genesis), /record 2: has seq 3/);
  });

  it('non-canonical re-encoding of a record', () => {
    const records = parts.records.slice();
    const obj = JSON.parse(records[1]!.toString()) as Record<string, unknown>;
    records[1] = Buffer.from(JSON.stringify(obj, null, 1));
    expectFailure(
      () =>
        verifyBundle(withParts({ records: records.map((r) => Buffer.from(r.toString().replace(/\n/g, ''))) }), genesis),
      /record 2: not in canonical JSON form/,
    );
    const reordered = Buffer.from(
      JSON.stringify({ type: obj['type'], ts: obj['ts'], seq: obj['seq'], prev: obj['prev'], payload: obj['payload'] }),
    );
    const rs = parts.records.slice();
    rs[1] = reordered;
    expectFailure(() => verifyBundle(withParts({ records: rs }), genesis), /record 2: not in canonical JSON form/);
  });

  it('a lone surrogate (no canonical form) is refused even when signed by the key holder', () => {
    const recs = decode(parts.records);
    const records = rechain(recs);
    records[6] = Buffer.from(records[6]!.toString().replace('"requestId":"r1"', '"requestId":"r1\\ud800"'));
    const checkpoints = [
      parts.checkpoints[0]!,
      ...forgeCheckpoints(records, parts.origin, [7], () => ({ key: currentKey, vk: currentVk })),
    ];
    expectFailure(
      () => verifyBundle(withParts({ records, checkpoints }), genesis),
      /record 7: has no canonical JSON form \(lone surrogate/,
    );
  });

  it('duplicate JSON keys', () => {
    const records = parts.records.slice();
    const text = records[1]!.toString();
    records[1] = Buffer.from(text.replace('"type":"request"', '"type":"approval","type":"request"'));
    expectFailure(() => verifyBundle(withParts({ records }), genesis), /record 2: duplicate JSON key "type"/);
  });

  it('tail truncation past a checkpoint', () => {
    const records = parts.records.slice(0, 6);
    expectFailure(
      () => verifyBundle(withParts({ records }), genesis),
      /checkpoints\/7: checkpoint covers 7 records but only 6 are present/,
    );
    // dropping the final checkpoint too leaves record 6 unsealed
    expectFailure(
      () => verifyBundle(withParts({ records, checkpoints: parts.checkpoints.slice(0, 1) }), genesis),
      /records 6\.\.6 are not sealed by any checkpoint/,
    );
  });

  it('rollback and fork against saved state', () => {
    const ok = verifyBundle(bundle, genesis);
    // rollback: an honest older prefix (size 5, sealed by the hand-over checkpoint) after size 7 was verified
    const older = withParts({ records: parts.records.slice(0, 5), checkpoints: parts.checkpoints.slice(0, 1) });
    expect(verifyBundle(older, genesis).size).toBe(5);
    expectFailure(
      () => verifyBundle(older, genesis, [{ label: 'the state file', size: ok.size, root: ok.root }]),
      /rollback: the state file recorded 7/,
    );
    // fork: the current key holder rewrites record 6 (its own epoch) and re-signs: valid signatures, but not what was verified
    const recs = decode(parts.records);
    recs[5]!.payload = { requestId: 'r1', approver: 'mallory', channel: 'tui', reason: 'ok' };
    const records = rechain(recs);
    const checkpoints = [
      parts.checkpoints[0]!,
      ...forgeCheckpoints(records, parts.origin, [7], () => ({ key: currentKey, vk: currentVk })),
    ];
    const forked = withParts({ records, checkpoints });
    expect(verifyBundle(forked, genesis).size).toBe(7); // undetectable without an anchor (it is that key's own epoch)
    expectFailure(
      () => verifyBundle(forked, genesis, [{ label: 'the state file', size: 7, root: ok.root }]),
      /fork: records 1\.\.7 differ/,
    );
  });

  it('key substitution is caught; a naive verifier that trusts the bundle key would pass (negative control)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const evil = verifierKey(parts.origin, rawPublicKey(publicKey));
    const recs = decode(parts.records).slice(0, 4);
    (recs[0]!.payload as Record<string, unknown>)['key'] = `${evil.name}+${evil.keyId.toString('hex')}+x`;
    recs[1]!.payload = { requestId: 'r0', argv: ['true'] };
    const records = rechain(recs);
    const checkpoints = forgeCheckpoints(records, parts.origin, [4], () => ({ key: privateKey, vk: evil }));
    const forged = withParts({ records, checkpoints });
    expect(verifyBundle(forged, evil).size).toBe(4); // naive: trusts the key that came with the data
    expectFailure(
      () => verifyBundle(forged, genesis),
      /checkpoints\/4: signed by key [0-9a-f]{8}, but records 1\.\.4 fall in the epoch of key/,
    );
  });

  it('the current-key holder cannot rewrite an earlier epoch', () => {
    const recs = decode(parts.records);
    recs[1]!.payload = { requestId: 'r0', argv: ['true'] };
    const records = rechain(recs);
    // re-sign everything, including the hand-over, with the current (epoch 2) key
    const checkpoints = forgeCheckpoints(records, parts.origin, [5, 7], () => ({ key: currentKey, vk: currentVk }));
    expectFailure(
      () => verifyBundle(withParts({ records, checkpoints }), genesis),
      /checkpoints\/5: signed by key .* fall in the epoch of key/,
    );
    // or pretend there never was a rotation: everything must then verify under the pinned genesis key
    const noRotation = rechain(recs.filter((r) => r.type !== 'key_rotation'));
    const cps = forgeCheckpoints(noRotation, parts.origin, [6], () => ({ key: currentKey, vk: currentVk }));
    expectFailure(
      () => verifyBundle(withParts({ records: noRotation, checkpoints: cps }), genesis),
      /checkpoints\/6: signed by key/,
    );
    // and dropping the hand-over checkpoint is refused
    expectFailure(
      () => verifyBundle(withParts({ checkpoints: parts.checkpoints.slice(1) }), genesis),
      /record 5: key rotation has no hand-over checkpoint/,
    );
  });

  it('bundle file substitution and a torn export', () => {
    const cp5 = parts.checkpoints[0]!.text;
    expectFailure(
      () => verifyBundle(replaceEntry(bundle, 'checkpoints/7', Buffer.from(cp5)), genesis),
      /checkpoints\/7 does not match its MANIFEST digest/,
    );
    expectFailure(
      () => verifyBundle(withParts({ checkpoints: [parts.checkpoints[0]!, { size: 7, text: cp5 }] }), genesis),
      /checkpoints\/7: holds the checkpoint for size 5/,
    );
    for (const cut of [1, 511, 512, 1024, bundle.length - 1024, bundle.length - 512, bundle.length - 1]) {
      expectFailure(
        () => verifyBundle(bundle.subarray(0, bundle.length - cut), genesis),
        /torn|truncated|end-of-archive|missing|MANIFEST/,
      );
    }
  });

  it('previous export: a valid consistency proof passes; an altered proof or previous checkpoint fails', () => {
    const leaves = parts.records.map((r) => leafHash(r));
    const previous = { checkpoint: parts.checkpoints[0]!.text, proof: consistencyProof(leaves, 5) };
    expect(verifyBundle(withParts({ previous }), genesis).previousSize).toBe(5);
    const bent = { ...previous, proof: [previous.proof[0]!, leafHash(Buffer.from('x')), ...previous.proof.slice(2)] };
    expect(previous.proof.length).toBeGreaterThan(1);
    expectFailure(
      () => verifyBundle(withParts({ previous: bent }), genesis),
      /consistency proof from previous\/checkpoint \(size 5\) to size 7 does not verify/,
    );
    // a previous checkpoint from a forked history (signed by the current key holder at size 6)
    const recs = decode(parts.records);
    recs[5]!.payload = { requestId: 'r1', approver: 'mallory' };
    const fork = forgeCheckpoints(rechain(recs), parts.origin, [6], () => ({ key: currentKey, vk: currentVk }))[0]!;
    expectFailure(
      () =>
        verifyBundle(withParts({ previous: { checkpoint: fork.text, proof: consistencyProof(leaves, 6) } }), genesis),
      /fork: records 1\.\.6 differ from what previous\/checkpoint recorded/,
    );
  });

  it('wrong origin', () => {
    const other = verifierKey('guard.ledger/someone-else', genesis.publicKey);
    expectFailure(() => verifyBundle(bundle, other), /MANIFEST origin .* is not the pinned origin/);
    const checkpoints = forgeCheckpoints(parts.records, 'guard.ledger/elsewhere', [5, 7], () => ({
      key: currentKey,
      vk: { name: 'guard.ledger/elsewhere', keyId: currentVk.keyId },
    }));
    expectFailure(
      () => verifyBundle(withParts({ checkpoints }), genesis),
      /origin "guard.ledger\/elsewhere" is not the pinned origin/,
    );
  });
});

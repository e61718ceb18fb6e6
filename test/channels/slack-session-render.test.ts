/**
 * The Slack session message (decision 1114) within Slack's limits for the largest sessions: 50
 * blocks, 3,000 characters a section, 150 a header, guard's 10,000-character message budget, and a
 * button value of at most 2,000 characters (a digest of the set beyond). Every cut is named; a
 * malformed button value is refused.
 */
import { describe, expect, test } from 'vitest';
import { blockTextLength, MESSAGE_TEXT_BUDGET } from '../../src/channels/slack/blocks.js';
import { decodeValue, digestOf, MAX_LISTED, renderSession, VALUE_CHARS } from '../../src/channels/slack/session.js';
import type { PendingRequest } from '../../src/channels/types.js';
import { FIVE_SECOND } from './five-second.js';

const open = (n: number, command: string, session: string, stepUp = false): PendingRequest[] =>
  Array.from({ length: n }, (_, i) => ({
    detail: {
      view: { ...FIVE_SECOND[0]!.view, id: `rq-${i.toString(16).padStart(12, '0')}`, command, session },
      fingerprint: 'f'.repeat(64),
      votes: [],
      ...(stepUp && i === 0 ? { stepUp: true } : {}),
    },
    viewHash: (i % 10).toString().repeat(64),
  }));

type AnyBlock = Record<string, unknown> & { type: string; text?: { text: string }; elements?: { value: string }[] };

function withinLimits(blocks: AnyBlock[]): void {
  expect(blocks.length).toBeLessThanOrEqual(50);
  expect(blockTextLength(blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
  for (const b of blocks) {
    if (b.type === 'header') expect(b.text!.text.length).toBeLessThanOrEqual(150);
    if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
    for (const e of b.elements ?? []) expect(e.value.length).toBeLessThanOrEqual(VALUE_CHARS);
  }
}

describe('slack session message', () => {
  test('two short requests: the set is written out in the value, nothing cut', () => {
    const m = renderSession('S-1', open(2, 'rm -rf /srv/data', 'S-1'));
    withinLimits(m.blocks);
    expect(m.digest).toBeUndefined();
    expect(decodeValue(m.value)).toEqual({ set: m.set });
    expect(JSON.stringify(m.blocks)).not.toContain('command cut');
    expect(
      (m.blocks.at(-1) as AnyBlock).elements!.map((e) => (e as unknown as { text: { text: string } }).text.text),
    ).toEqual(['Approve all 2', 'Deny all 2…']);
  });

  test('more requests than listed, huge commands full of entities, a huge session: within limits, cuts named, a digest', () => {
    const session = `<&>${'s'.repeat(5000)}`;
    const m = renderSession(session, open(MAX_LISTED + 5, '<&>'.repeat(20_000), session, true));
    withinLimits(m.blocks);
    expect(m.set.items).toHaveLength(MAX_LISTED);
    expect(m.digest).toBe(digestOf(m.set));
    expect(m.value).toBe(`digest:${m.digest!}`);
    expect(decodeValue(m.value)).toEqual({ digest: m.digest });
    const text = JSON.stringify(m.blocks);
    expect(text.split('command cut: first').length - 1).toBe(MAX_LISTED);
    expect(text).toContain('…and 5 more not listed here');
    expect(text).toContain('Not part of Approve all');
    expect(text).toContain(`Approve all ${MAX_LISTED - 1}`);
  });

  test('a malformed value names no set', () => {
    const good = ['rq-000000000000', '0'.repeat(64)];
    for (const bad of [
      '',
      'rq-000000000000',
      'digest:xyz',
      JSON.stringify({ s: 'S', r: [] }),
      JSON.stringify({ s: 'S', r: [['rq-x', '0'.repeat(64)]] }),
      JSON.stringify({ s: 'S', r: [['rq-000000000000', 'short']] }),
      JSON.stringify({ s: 'S', r: [good, good] }),
      JSON.stringify({ s: '', r: [good] }),
    ])
      expect(decodeValue(bad)).toBeUndefined();
    expect(decodeValue(JSON.stringify({ s: 'S', r: [good] }))).toEqual({
      set: { session: 'S', items: [{ id: good[0], viewHash: good[1] }] },
    });
  });
});

/**
 * Slack: every message fits the platform's limits for the largest requests guard accepts, and
 * the first message (not the thread) alone shows the verb, the target, the environment and the risk.
 * Limits from Slack's Block Kit reference: 50 blocks a message, 3,000 characters a section text,
 * 150 characters a header; the cumulative block text behind `msg_blocks_too_long` is undocumented
 * (measured by others at 11,000–13,000), so guard's own budget of 10,000 is asserted.
 */
import { describe, expect, test } from 'vitest';
import { blockTextLength, MESSAGE_TEXT_BUDGET, renderMessage } from '../../src/channels/slack/blocks.js';
import { FIVE_SECOND, FIVE_SECOND_NOW } from './five-second.js';

type AnyBlock = Record<string, unknown> & { type: string };

/** All text of the blocks, with Slack's three entities decoded (what a human reads). */
function readable(blocks: AnyBlock[]): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null)
      for (const [k, x] of Object.entries(v)) {
        if (k === 'text' && typeof x === 'string') out.push(x);
        else walk(x);
      }
  };
  walk(blocks);
  return out
    .join('\n')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\u200b/g, '');
}

describe('slack: the five-second test, in the first message', () => {
  for (const c of FIVE_SECOND) {
    test(c.name, () => {
      const { blocks, text, threadParts } = renderMessage(c.view, FIVE_SECOND_NOW);
      const shown = readable(blocks);
      for (const word of [c.verb, c.target, c.where, c.risk]) expect(shown).toContain(word);
      for (const bad of c.never ?? []) expect(JSON.stringify({ blocks, text, threadParts })).not.toContain(bad);

      // limits
      expect(blocks.length).toBeLessThanOrEqual(50);
      for (const b of blocks as AnyBlock[]) {
        const t = (b['text'] as { text?: string } | undefined)?.text ?? '';
        if (b.type === 'section') expect(t.length).toBeLessThanOrEqual(3000);
        if (b.type === 'header') expect(t.length).toBeLessThanOrEqual(150);
        if (b.type === 'context') expect((b['elements'] as unknown[]).length).toBeLessThanOrEqual(10);
      }
      expect(blockTextLength(blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
      expect(text.length).toBeLessThanOrEqual(4000);
      for (const p of threadParts) expect(p.length).toBeLessThanOrEqual(4000);
    });
  }

  test('the whole command still reaches Slack: first part inline, the rest in the thread, in order', () => {
    const big = FIVE_SECOND.find((c) => c.name === '20 KB argument')!;
    const { blocks, threadParts } = renderMessage(big.view, FIVE_SECOND_NOW);
    const fenced = [
      ...(blocks as AnyBlock[])
        .map((b) => (b['text'] as { text?: string } | undefined)?.text ?? '')
        .filter((t) => t.startsWith('*Command*')),
      ...threadParts.filter((t) => t.startsWith('*Command*')),
    ].map((t) => /```([\s\S]*)```$/.exec(t)?.[1] ?? '');
    const body = fenced
      .join('')
      .replace(/\u200b/g, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&');
    expect(body).toBe(big.view.command);
    expect(readable(blocks as AnyBlock[])).toMatch(/Command continues in this thread: parts \d+–\d+ of \d+/);
  });

  test('2,000 matched rules fold: one line per distinct rule, repeats counted', () => {
    const many = FIVE_SECOND.find((c) => c.name === '2,000 simple commands')!;
    const shown = readable(renderMessage(many.view, FIVE_SECOND_NOW).blocks);
    expect(shown).toContain('`fs.rm-recursive` (approve, high): `Recursive delete` ×2000');
    expect(shown).toMatch(/…and 1994 more \(see Matched rules\)/);
  });

  test('who asked a question is shown with it', () => {
    const v = { ...FIVE_SECOND[0]!.view, state: 'needs_info' as const, question: 'which host?', askedBy: 'carol' };
    expect(readable(renderMessage(v, FIVE_SECOND_NOW).blocks as AnyBlock[])).toContain(
      '*Question* (asked by `carol`): `which host?`',
    );
  });
});

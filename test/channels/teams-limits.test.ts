/**
 * Teams: every card and every message posted to the Workflow is bounded in bytes (Workflows
 * refuses over ~28 KB), the first card alone shows the verb, the target, the environment and the
 * risk, and nothing in a request reaches the Adaptive Cards DATE/TIME formatter.
 */
import { describe, expect, test } from 'vitest';
import {
  CARD_MAX_BYTES,
  inertBraces,
  MESSAGE_MAX_BYTES,
  messageBody,
  renderCard,
} from '../../src/channels/teams/card.js';
import { utf8Length } from '../../src/util/bytes.js';
import { FIVE_SECOND } from './five-second.js';
import { view } from './helpers.js';

/** Every TextRun / TextBlock text of a card, in order. */
function texts(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(texts);
  if (typeof node !== 'object' || node === null) return [];
  const o = node as Record<string, unknown>;
  const own = typeof o['text'] === 'string' ? [o['text']] : [];
  return [...own, ...Object.values(o).flatMap(texts)];
}

function bodyElements(card: Record<string, unknown>): number {
  return (card['body'] as unknown[]).length;
}

/** The formatter's pattern (Adaptive Cards text formatting: {{DATE(…)}} and {{TIME(…)}}). */
const FORMATTER = /\{\{(DATE|TIME)\(/;

describe('teams: the five-second test, in the card', () => {
  for (const c of FIVE_SECOND) {
    test(c.name, () => {
      const card = renderCard(c.view);
      const shown = texts(card)
        .join('\n')
        .replace(/\u200b/g, '');
      for (const word of [c.verb, c.target, c.where]) expect(shown).toContain(word);
      expect(shown).toContain(c.risk === 'CRIT' ? 'CRITICAL' : c.risk);
      const body = messageBody('request.created', c.view, true);
      for (const bad of c.never ?? []) expect(body).not.toContain(bad);
      expect(utf8Length(JSON.stringify(card))).toBeLessThanOrEqual(CARD_MAX_BYTES);
      expect(utf8Length(body)).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
      expect(bodyElements(card)).toBeLessThanOrEqual(60);
    });
  }

  test('the largest requests guard accepts still give a card under the limit, and say what is left out', () => {
    // the daemon takes frames up to 1 MiB and text fields up to 4,096 characters: a request that fills them
    const huge = 'é'.repeat(200_000); // two bytes each in UTF-8: counting characters would undercount
    const long = '"\\'.repeat(2048); // JSON escaping doubles these
    const v = view({
      command: huge,
      reason: long,
      ticket: long,
      cwd: long,
      requester: { user: long, agent: long, host: long },
      context: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}${long.slice(0, 200)}`, long])),
      rules: Array.from({ length: 2000 }, (_, i) => ({
        id: `r${i}`,
        effect: 'approve',
        risk: 'high' as const,
        description: long.slice(0, 300),
        impact: `deletes /x${i} ${long.slice(0, 200)}`,
        controls: [],
      })),
      commands: Array.from({ length: 2000 }, (_, i) => `rm -rf /x${i} ${long.slice(0, 100)}`),
    });
    const card = renderCard(v);
    expect(utf8Length(JSON.stringify(card))).toBeLessThanOrEqual(CARD_MAX_BYTES);
    expect(utf8Length(messageBody('request.created', v, true))).toBeLessThanOrEqual(MESSAGE_MAX_BYTES);
    expect(texts(card).join('\n')).toMatch(/\[Not shown in Teams: characters \d+–200000 of 200000\./);
  });

  test('{{DATE(…)}} and {{TIME(…)}} in request text stay text: the formatter never sees them', () => {
    const trick = 'rm -rf /data/{{DATE(2017-02-14T06:08:39Z, SHORT)}} {{TIME(2017-02-14T06:08:39Z)}}';
    const card = renderCard(view({ command: trick, reason: trick, ticket: trick, context: { where: trick } }));
    const all = texts(card);
    expect(all.some((t) => FORMATTER.test(t))).toBe(false);
    // and the approver still reads the characters that are there
    expect(all.map((t) => t.replace(/\u200b/g, '')).join('\n')).toContain(trick);
    expect(inertBraces('{{DATE(x)}}')).toBe('{\u200b{DATE(x)}}');
  });

  test('a question shows who asked it', () => {
    const card = renderCard(view({ state: 'needs_info', question: 'which host?', askedBy: 'carol' }));
    expect(texts(card)).toContain('Question from carol: which host?');
  });
});

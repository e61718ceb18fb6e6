/**
 * The Slack scope menu's rendering limits (decision 1089): each wider grant is offered beside its
 * whole scope text or not at all. A command so long that its scope texts would not fit a section,
 * or would crowd the command out of the message, leaves only "once" (Approve) and a note pointing
 * to `guard tui` / `guard approve --uses/--for`; the message stays within guard's budget.
 */
import { describe, expect, it } from 'vitest';
import { blockTextLength, MESSAGE_TEXT_BUDGET, renderMessage } from '../../src/channels/slack/blocks.js';
import { hubView } from '../../src/hub/slack-owner.js';
import { view } from './helpers.js';

const BOUNDS = { grantBounds: { maxUses: 3, maxTtlSeconds: 3600, ttlSeconds: 900 }, session: 'S-1' };
const scopeButtons = (blocks: Record<string, unknown>[]) =>
  blocks.filter((b) =>
    (b['accessory'] as { action_id?: string } | undefined)?.action_id?.startsWith('guard_approve_scope_'),
  );

describe('slack: scope menu limits', () => {
  it('a short command: every wider grant beside its full scope text; closed requests show none', () => {
    const { blocks } = renderMessage(view(BOUNDS), Date.now());
    const buttons = scopeButtons(blocks);
    expect(buttons).toHaveLength(3);
    expect(JSON.stringify(buttons[0])).toContain('at most 3 uses within 15 min');
    expect(scopeButtons(renderMessage(view({ ...BOUNDS, state: 'approved' }), Date.now()).blocks)).toHaveLength(0);
  });

  it('a command too long for its scope text to fit: no wider grant, a note, the message within budget', () => {
    const command = `terraform destroy ${'-target=module.x '.repeat(300)}`;
    const { blocks } = renderMessage(view({ ...BOUNDS, command, argv: command.split(' ') }), Date.now());
    expect(scopeButtons(blocks)).toHaveLength(0);
    expect(JSON.stringify(blocks)).toContain('wider grants, too long to show here');
    expect(JSON.stringify(blocks)).toContain('guard_approve');
    expect(blockTextLength(blocks)).toBeLessThanOrEqual(MESSAGE_TEXT_BUDGET);
  });

  it("the hub's Slack offers the same wider grants as the daemon's, its vote carrying the choice (decision 1090)", () => {
    const own = scopeButtons(renderMessage(view(BOUNDS), Date.now()).blocks);
    const hub = scopeButtons(renderMessage(hubView(view(BOUNDS), 'host-1'), Date.now()).blocks);
    const texts = (bs: Record<string, unknown>[]) => bs.map((b) => JSON.stringify(b['text']));
    expect(texts(hub)).toEqual(texts(own));
    expect(hub.map((b) => (b['accessory'] as { value: string }).value)).toEqual(
      own.map((b) => (b['accessory'] as { value: string }).value.replace(' ', '@host-1 ')),
    );
  });
});

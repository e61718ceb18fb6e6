/**
 * Agent-supplied intent on every surface a reviewer decides from: the TUI detail, Slack, Teams and
 * the webhook payload each show the user's message and the agent's explanation with the label
 * that says they are the agent's word, in visible form.
 */
import { describe, expect, test } from 'vitest';
import { renderMessage } from '../../src/channels/slack/blocks.js';
import { renderCard } from '../../src/channels/teams/card.js';
import { buildEnvelope } from '../../src/channels/webhook/payload.js';
import { displayIntent, INTENT_LABEL } from '../../src/daemon/intent.js';
import { detailLines } from '../../src/tui/detail.js';
import { view } from './helpers.js';

const intent = displayIntent({
  userMessage: 'please re-apply staging\u202e',
  agentExplanation: 'I will run terraform apply to re-create the load balancer',
  source: 'transcript',
}).view;
const v = view({ intent });

describe('intent on the surfaces', () => {
  test('TUI detail', () => {
    const text = detailLines(v, { width: 200, now: Date.now() })
      .map((l) => l.map((s) => s.text).join(''))
      .join('\n');
    expect(text).toContain(INTENT_LABEL);
    expect(text).toContain('please re-apply staging');
    expect(text).toContain('re-create the load balancer');
  });

  test('Slack message', () => {
    const text = JSON.stringify(renderMessage(v, Date.now()));
    expect(text).toContain(INTENT_LABEL);
    expect(text).toContain('please re-apply staging&lt;U+202E&gt;');
    expect(text).toContain('re-create the load balancer');
  });

  test('Teams card', () => {
    const text = JSON.stringify(renderCard(v));
    expect(text).toContain('User said (agent-supplied)');
    expect(text).toContain('please re-apply staging<U+202E>');
    expect(text).toContain('Agent said (agent-supplied)');
  });

  test('webhook payload carries the labelled intent and its hash', () => {
    const env = buildEnvelope('request.created', 'ops', v, { callbackUrl: undefined, decisions: true, nowMs: 0 });
    expect(env.request.intent).toMatchObject({ label: INTENT_LABEL, sha256: intent.sha256, source: 'transcript' });
    expect(env.request.intent?.userMessage).toBe('please re-apply staging<U+202E>');
  });

  test('a secret in the intent is redacted before any surface sees it', () => {
    const token = ['gh', 'p_', 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8'].join('');
    const shown = displayIntent({ userMessage: `use ${token}`, source: 'transcript' });
    expect(shown.view.userMessage).not.toContain(token);
    expect(shown.findings).toHaveLength(1);
  });
});

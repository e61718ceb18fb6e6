/**
 * Invisible and reordering characters are written out on the surfaces not covered by their own
 * render tests: the webhook payload (what a web page or receiver shows) and `guard ledger show`
 * (the ledger's display form). `--json` keeps the exact recorded bytes: it is evidence, not display.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { buildEnvelope } from '../../src/channels/webhook/payload.js';
import { guard } from '../ledger/cli-helpers.js';
import { makeHome, open, type TestHome } from '../ledger/helpers.js';
import { view } from './helpers.js';

const TRICK = 'rm -rf /home/ana/\u202egpj.exe\u200b';

describe('webhook payload', () => {
  test('every string of the request is in visible form; nothing raw is sent', () => {
    const env = buildEnvelope(
      'request.created',
      'ops',
      view({ command: TRICK, reason: TRICK, commands: [TRICK], context: { k: TRICK } }),
      {
        callbackUrl: undefined,
        decisions: true,
        nowMs: 0,
      },
    );
    const body = JSON.stringify(env);
    expect(body).not.toMatch(/[\u202e\u200b]/);
    expect(env.request.command).toBe('rm -rf /home/ana/<U+202E>gpj.exe<U+200B>');
    expect(env.request.context['k']).toBe('rm -rf /home/ana/<U+202E>gpj.exe<U+200B>');
  });
});

describe('guard ledger show', () => {
  let h: TestHome | undefined;
  afterEach(() => h?.cleanup());

  test('the display form writes the characters out; --json keeps them exactly', async () => {
    h = makeHome();
    const l = await open(h);
    await l.append('request', { requestId: 'r1', argv: ['rm', '-rf', '/home/ana/\u202egpj.exe'], cwd: '/tmp' });
    await l.close();
    const shown = await guard(['ledger', 'show'], h.env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('/home/ana/<U+202E>gpj.exe');
    expect(shown.stdout).not.toContain('\u202e');
    const json = await guard(['ledger', 'show', '--json', '--request', 'r1'], h.env);
    expect((JSON.parse(json.stdout.trim()) as { payload: { argv: string[] } }).payload.argv[2]).toBe(
      '/home/ana/\u202egpj.exe',
    );
  });
});

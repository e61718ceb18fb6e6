/**
 * Invisible and reordering characters are written out on the surfaces not covered by their own
 * render tests: the webhook payload (what a web page or receiver shows) and `guard ledger show`
 * (the ledger's display form), and the full text `guard show` prints and `guard approve` shows before
 * the passphrase. `--json` keeps the exact recorded bytes: it is evidence, not display.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { buildEnvelope } from '../../src/channels/webhook/payload.js';
import { formatDetail } from '../../src/cli/commands/requests.js';
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

describe('guard show and guard approve (decision 0045)', () => {
  // what a hostile command can carry: a bidi override, an escape sequence that erases the line
  // above, and a newline followed by a fake rule line
  const ESC = '\u001b[1A\u001b[2K';
  const FAKE = `${TRICK}\nrule      fake.rule (allow, low): harmless`;

  test('every piece of request text is in visible form, one line each; the preview keeps its lines', () => {
    const text = formatDetail({
      view: view({
        command: FAKE,
        reason: `${ESC}routine`,
        commands: [FAKE, 'ls'],
        context: { [`k${ESC}`]: TRICK },
        requester: { user: 'ana', agent: `claude${ESC}` },
        preview: {
          kind: 'terraform',
          title: 'plan',
          status: 'ok',
          label: 'terraform plan',
          sha256: 'ab',
          text: `one\ntwo${ESC}\nthree`,
        },
      }),
      votes: [{ approver: 'bo\u202e', action: 'approve', channel: 'tui', at: 'now' }],
      fingerprint: 'f1',
    });
    // eslint-disable-next-line no-control-regex -- the control characters are what must not be there
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b\u202e]/);
    expect(text).toContain('command   rm -rf /home/ana/<U+202E>gpj.exe<U+200B><U+000A>rule      fake.rule');
    expect(text).toContain('reason    <U+001B>[1A<U+001B>[2Kroutine');
    expect(text).toContain('requester ana via claude<U+001B>[1A<U+001B>[2K');
    // one rule line: the view's own rule, not the one the command pretends to add
    expect(text.split('\n').filter((l) => l.startsWith('rule '))).toEqual([
      'rule      infra.teardown (approve, critical): destroys every resource in the workspace [A.8.32]',
    ]);
    expect(text).toContain('  | one\n  | two<U+001B>[1A<U+001B>[2K\n  | three');
    expect(text).toContain('vote      approve by bo<U+202E> via tui at now');
  });
});

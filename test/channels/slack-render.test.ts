import { describe, expect, it } from 'vitest';
import { renderMessage } from '../../src/channels/slack/blocks.js';
import { code, escapeInBlock, escapeText, splitEscaped } from '../../src/channels/slack/escape.js';
import { view } from './helpers.js';

type Section = { type: string; text?: { text: string; verbatim?: boolean } };
const sections = (blocks: Record<string, unknown>[]): Section[] =>
  (blocks as Section[]).filter((b) => b.type === 'section');
const NOW = Date.parse('2026-01-01T00:00:00Z');

/** Everything that could act in Slack mrkdwn: a control sequence `<…>` or a fence. */
function liveSequences(text: string): string[] {
  return text.match(/<[^>]*>/g)?.filter((m) => !m.startsWith('<!date^')) ?? [];
}

describe('slack escaping: text from a command is inert', () => {
  it('escapes &, < and > exactly as Slack documents', () => {
    expect(escapeText('a & b <!channel> <@U123> <http://evil.test|click here> >')).toBe(
      'a &amp; b &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.test|click here&gt; &gt;',
    );
  });

  it('renders an injection attempt in the command as exact, inert text', () => {
    const command =
      'echo "<!channel> <!here> <@U0ADMIN> <http://evil.test|approve here>" && echo `id` ```done``` *bold* _it_ ~s~';
    const { blocks, text } = renderMessage(view({ command }), NOW);
    const commandSection = sections(blocks).find((s) => s.text?.text.startsWith('*Command*'));
    expect(commandSection?.text).toEqual({
      type: 'mrkdwn',
      verbatim: true,
      text: '*Command*\n```echo "&lt;!channel&gt; &lt;!here&gt; &lt;@U0ADMIN&gt; &lt;http://evil.test|approve here&gt;" && echo `\u200bid`\u200b `\u200b`\u200b`\u200bdone`\u200b`\u200b`\u200b *bold* _it_ ~s~```'.replace(
        ' && ',
        ' &amp;&amp; ',
      ),
    });
    const all = JSON.stringify(blocks) + text;
    expect(liveSequences(JSON.parse(JSON.stringify(all)) as string)).toEqual([]);
  });

  it('escapes every field taken from the request, never only the command', () => {
    const v = view({
      requester: { user: '<!channel>', agent: '<@U1>', host: '<http://x|y>', onBehalfOf: 'ana' },
      reason: '<!everyone> please',
      ticket: '*URGENT* <!here>',
      cwd: '/tmp/<!subteam^S1>',
      context: { repo: 'acme/<#C1>', branch: 'x`y' },
      rules: [
        {
          id: 'r<!here>',
          effect: 'approve',
          risk: 'high',
          description: '<!channel>',
          impact: 'deletes <@U2>',
          controls: [],
        },
      ],
      approvals: [{ approver: '<@U3>', channel: 'slack', at: 'now' }],
      decidedBy: '<!channel>',
      decisionReason: '<!here>',
      state: 'denied',
    });
    const { blocks } = renderMessage(v, NOW);
    const texts = (blocks as { text?: { text?: string }; elements?: { text?: string }[] }[])
      .flatMap((b) => [b.text?.text, ...(b.elements ?? []).map((e) => e.text)])
      .filter((t): t is string => t !== undefined);
    expect(texts.flatMap(liveSequences)).toEqual([]);
    expect(texts.join('\n')).toContain('*branch:* ```x`\u200by```');
    expect(texts.join('\n')).toContain('*Ticket:* `*URGENT* &lt;!here&gt;`');
  });

  it('uses code spans for plain values and fenced blocks when a backtick or newline is present', () => {
    expect(code('plain *text*')).toBe('`plain *text*`');
    expect(code('two\nlines')).toBe('```two\nlines```');
    expect(code('')).toBe('_(empty)_');
    expect(escapeInBlock('```')).toBe('`\u200b`\u200b`\u200b');
  });
});

describe('slack splitting: long commands are never cut silently', () => {
  it('splits at the section limit without breaking entities, stating part i/n, and loses nothing', () => {
    const command = 'x'.repeat(2795) + '<&>' + 'y'.repeat(5000);
    const parts = splitEscaped(command, 2800);
    expect(parts.every((p) => p.length <= 2800)).toBe(true);
    expect(parts.join('')).toBe(escapeInBlock(command));
    expect(parts[0]).toBe('x'.repeat(2795) + '&lt;');
    expect(parts[1]?.startsWith('&amp;&gt;y')).toBe(true);
    const { blocks } = renderMessage(view({ command }), NOW);
    const cmd = sections(blocks).filter((s) => s.text?.text.startsWith('*Command*'));
    expect(cmd.map((s) => s.text?.text.split('\n')[0])).toEqual([
      '*Command* (part 1/3)',
      '*Command* (part 2/3)',
      '*Command* (part 3/3)',
    ]);
    expect(cmd.every((s) => (s.text?.text.length ?? 0) <= 3000)).toBe(true);
    const body = cmd.map((s) => /```([\s\S]*)```$/.exec(s.text?.text ?? '')?.[1]).join('');
    expect(body).toBe(escapeInBlock(command));
  });

  it('moves parts beyond the message to the thread and says so', () => {
    const command = 'z'.repeat(2800 * 6);
    const { blocks, threadParts } = renderMessage(view({ command }), NOW);
    // three parts inline (the message's text budget), the rest in the thread
    expect(threadParts).toHaveLength(3);
    expect(threadParts[0]?.startsWith('*Command* (part 4/6)')).toBe(true);
    expect(sections(blocks).map((s) => s.text?.text)).toContain('_Command continues in this thread: parts 4–6 of 6._');
    expect(blocks.length).toBeLessThanOrEqual(50);
  });

  it('states explicitly what is not shown when even the thread would be too long', () => {
    const command = 'q'.repeat(2800 * 70);
    const { blocks, threadParts } = renderMessage(view({ command }), NOW);
    expect(threadParts).toHaveLength(60);
    expect(
      sections(blocks)
        .map((s) => s.text?.text)
        .join('\n'),
    ).toContain('*Command not shown in Slack:* parts 64–70 (196000 characters in all)');
  });

  it('removes the buttons once the request is final and keeps them while open', () => {
    const open = renderMessage(view(), NOW).blocks.some((b) => b['type'] === 'actions');
    const closed = ['approved', 'denied', 'expired', 'cancelled', 'revoked'].map((state) =>
      renderMessage(view({ state: state as 'approved' }), NOW).blocks.some((b) => b['type'] === 'actions'),
    );
    expect(open).toBe(true);
    expect(closed).toEqual([false, false, false, false, false]);
  });
});

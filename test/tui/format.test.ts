import { describe, expect, test } from 'vitest';
import {
  fit,
  lineText,
  longDuration,
  oneLine,
  redactionSegments,
  shortDuration,
  wrapSegments,
} from '../../src/tui/format.js';
import { detailLines } from '../../src/tui/detail.js';
import { computeLayout, windowStart } from '../../src/tui/layout.js';
import { displayWidth } from '../../src/util/visible.js';
import { colorEnabled, makeTheme } from '../../src/tui/theme.js';
import { backoffDelay } from '../../src/tui/link.js';
import { ID, NOW, view } from './fixtures.js';

describe('durations', () => {
  test.each([
    [0, '0s', '0s'],
    [59_999, '59s', '59s'],
    [61_000, '1m', '1m01s'],
    [3_600_000 + 5 * 60_000, '1h05m', '1h05m'],
    [26 * 3_600_000, '1d02h', '1d02h'],
    [-5000, '0s', '0s'],
  ])('%i ms', (ms, short, long) => {
    expect(shortDuration(ms)).toBe(short);
    expect(longDuration(ms)).toBe(long);
  });
});

describe('wrapping', () => {
  test('words wrap at spaces; a word longer than a line is broken; nothing is lost', () => {
    const text = `rm -rf ${'x'.repeat(50)} && echo done`;
    const lines = wrapSegments([{ text }], 20, '  ').map(lineText);
    expect(lines.every((l) => Array.from(l).length <= 20)).toBe(true);
    expect(lines.join('').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
    expect(lines[0]).toBe(`rm -rf ${'x'.repeat(13)}`);
    expect(lines.at(-1)).toMatch(/ && echo done$/);
  });

  test('explicit newlines start new lines; control characters are shown, not sent to the terminal', () => {
    const lines = wrapSegments([{ text: 'echo a\nprintf \u001b[2J' }], 80).map(lineText);
    expect(lines).toEqual(['echo a', 'printf <U+001B>[2J']);
  });

  test('styles survive wrapping', () => {
    const lines = wrapSegments(redactionSegments('curl -H "Authorization: [redacted:bearer-token]" https://x'), 30);
    const styled = lines.flat().filter((s) => s.style === 'redacted');
    expect(styled.map((s) => s.text).join('')).toBe('[redacted:bearer-token]');
  });

  test('redaction markers are found, with or without a kind', () => {
    expect(redactionSegments('a [redacted] b [redacted:aws-key] c')).toEqual([
      { text: 'a ' },
      { text: '[redacted]', style: 'redacted' },
      { text: ' b ' },
      { text: '[redacted:aws-key]', style: 'redacted' },
      { text: ' c' },
    ]);
  });

  test('one-line summaries collapse whitespace and cut with an ellipsis', () => {
    expect(oneLine('a\n\tb   c')).toBe('a b c');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    expect(oneLine('\u0007')).toBe('<U+0007>');
  });
});

describe('detail lines', () => {
  test('hold every field an approver needs', () => {
    const text = detailLines(
      view({
        id: ID.a,
        state: 'needs_info',
        question: 'why now?',
        reply: 'incident 7',
        approvals: [{ approver: 'carol', channel: 'slack', at: 'T' }],
        quorum: 2,
      }),
      { width: 100, now: NOW },
    )
      .map(lineText)
      .join('\n');
    for (const want of [
      'rq-00000000000a  NEEDS_INFO  risk HIGH  approvals 1/2',
      'kubectl delete namespace payments',
      'HIGH k8s-delete-namespace (approve) Deleting a Kubernetes namespace',
      'Will:\n  HIGH deletes every resource in namespace payments',
      'ISO 27001: A.8.32, A.8.9',
      'Requester:  agent claude-code · user alice · host devbox · on behalf of alice',
      'Cwd:        /home/alice/src/infra',
      'Git:        main @ 1a2b3c4d · infra',
      'Session:    sess-42',
      'Reason:     clean up the staging namespace',
      'Ticket:     OPS-1234',
      'Approvals:  1/2 — carol via slack at T',
      'Question:   why now?',
      'Reply:      incident 7',
    ])
      expect(text).toContain(want);
  });

  test('several simple commands are listed one by one', () => {
    const text = detailLines(view({ id: ID.a, command: 'a && b', commands: ['a', 'b'] }), { width: 80, now: NOW })
      .map(lineText)
      .join('\n');
    expect(text).toContain('Simple commands (2):\n  1. a\n  2. b');
    // what each part is: program, subcommand, target, flags; the whole line is not repeated as a part
    const script = 'psql -h db.prod -c "DROP TABLE users" && aws s3 rm s3://bucket/x --recursive';
    const parts = detailLines(
      view({
        id: ID.a,
        command: script,
        commands: [script, 'psql -h db.prod -c "DROP TABLE users"', 'aws s3 rm s3://bucket/x --recursive'],
      }),
      { width: 100, now: NOW },
    )
      .map(lineText)
      .join('\n');
    expect(parts).toContain(
      'Simple commands (2):\n  1. psql (-h db.prod -c DROP TABLE users)\n  2. aws s3 rm → s3://bucket/x (--recursive)',
    );
  });
});

describe('layout', () => {
  test('80×24 and 120×40 stack list and preview; 160 columns and wider split; one row is left free', () => {
    const narrow = computeLayout(80, 24, 'list', 'list');
    expect(narrow).toMatchObject({ height: 23, split: false, listWidth: 80, detailWidth: 80 });
    expect(narrow.listHeight + 1 + narrow.detailHeight).toBe(narrow.body);
    expect(computeLayout(120, 40, 'list', 'list').split).toBe(false);
    const wide = computeLayout(200, 50, 'list', 'list');
    expect(wide.split).toBe(true);
    expect(wide.listWidth + 1 + wide.detailWidth).toBe(200);
    expect(computeLayout(80, 24, 'passphrase', 'detail').detailHeight).toBe(narrow.body);
  });

  test('the selection stays inside the list window', () => {
    expect(windowStart(0, 100, 10)).toBe(0);
    expect(windowStart(50, 100, 10)).toBe(45);
    expect(windowStart(99, 100, 10)).toBe(90);
  });
});

describe('theme and backoff', () => {
  test('NO_COLOR (any non-empty value) turns colour off; without colour no style sets a colour', () => {
    expect(colorEnabled({})).toBe(true);
    expect(colorEnabled({ NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ NO_COLOR: '1' })).toBe(false);
    const plain = makeTheme(false);
    for (const s of [
      'label',
      'dim',
      'bold',
      'redacted',
      'risk-low',
      'risk-medium',
      'risk-high',
      'risk-critical',
      'warn',
      'ok',
    ] as const) {
      expect(plain.style(s)).not.toHaveProperty('color');
      expect(plain.style(s)).not.toHaveProperty('backgroundColor');
    }
    expect(makeTheme(true).style('risk-critical')).toHaveProperty('backgroundColor', 'red');
  });

  test('reconnect delays double up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelay(a))).toEqual([
      250, 500, 1000, 2000, 4000, 8000, 10000, 10000,
    ]);
  });
});

describe('wide characters: widths in terminal columns, not code points', () => {
  test('fit cuts and pads CJK text to exactly the width', () => {
    for (const width of [5, 6, 9, 10]) {
      const out = fit('削除する生産データ', width);
      expect({ width, w: displayWidth(out) }).toEqual({ width, w: width });
    }
    expect(fit('削除', 6)).toBe('削除  ');
    expect(fit('削除する', 5)).toBe('削除…');
    expect(fit('削除する', 6)).toBe('削除… ');
  });

  test('wrapSegments never lets a line of CJK text run past the width, and loses nothing', () => {
    const command = 'psql -c "DELETE FROM 顧客テーブル WHERE 地域 = \'東京都\'" 本番データベース';
    for (const width of [7, 12, 20, 33]) {
      const lines = wrapSegments([{ text: command }], width, '  ');
      for (const l of lines)
        expect({ width, line: lineText(l), w: displayWidth(lineText(l)) <= width }).toMatchObject({ w: true });
      expect(lines.map(lineText).join('').replace(/\s+/g, '')).toBe(command.replace(/\s+/g, ''));
    }
  });
});

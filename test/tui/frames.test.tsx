/**
 * Component frames at fixed terminal sizes (80×24 and 120×30), asserted on their text.
 * ink-testing-library renders without colour here (stdout is not a TTY), so text is what counts.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { Screen } from '../../src/tui/components/screen.js';
import type { TuiState } from '../../src/tui/model.js';
import { makeTheme } from '../../src/tui/theme.js';
import { base, frameLines, ID, liveWith, NOW, renderAt, run, view } from './fixtures.js';

afterEach(() => cleanup());

const plain = makeTheme(false);
const vp = { page: 5, detailMax: 100, historyMax: 0 };

const LONG =
  'psql "postgres://admin:[redacted:url-password]@db.internal:5432/prod" -c "BEGIN; DELETE FROM invoices WHERE created_at < now() - interval \'7 years\'; DELETE FROM payments WHERE invoice_id NOT IN (SELECT id FROM invoices); COMMIT;" --set ON_ERROR_STOP=1 --echo-all';

function sample(): TuiState {
  return liveWith([
    view({ id: ID.a }),
    view({
      id: ID.b,
      risk: 'critical',
      command: LONG,
      commands: [LONG],
      requester: { user: 'ci', agent: 'codex', host: 'runner-7' },
      createdAt: new Date(NOW - 45_000).toISOString(),
      rules: [
        {
          id: 'data.destructive-sql',
          effect: 'approve',
          risk: 'critical',
          description: 'Destructive SQL against a database',
          impact: 'deletes rows in prod: DELETE FROM invoices, DELETE FROM payments',
          controls: ['A.8.13', 'A.8.32'],
        },
      ],
    }),
    view({
      id: ID.c,
      risk: 'low',
      command: 'git push --force origin main',
      commands: ['git push --force origin main'],
      quorum: 2,
      approvals: [{ approver: 'carol', channel: 'slack', at: '2026-11-22T08:59:00.000Z' }],
      createdAt: new Date(NOW - 2 * 3600_000 - 5 * 60_000).toISOString(),
      expiresAt: new Date(NOW + 30_000).toISOString(),
    }),
  ]);
}

function frame(state: TuiState, columns: number, rows: number, theme = plain): string[] {
  const r = renderAt(columns, <Screen state={state} columns={columns} rows={rows} theme={theme} />);
  return frameLines(r.lastFrame());
}

/** Every line fits the terminal, and the app leaves the last row free. */
function expectFits(lines: string[], columns: number, rows: number): void {
  expect(lines.length).toBe(rows - 1);
  for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(columns);
}

describe('80×24', () => {
  test('list: risk, age, time left, k of N, requester and a one-line summary; riskiest first', () => {
    const lines = frame(sample(), 80, 24);
    expectFits(lines, 80, 24);
    expect(lines[0]).toMatch(/^guard · requests · bob · key locked +3 open$/);
    // at 80 columns the command keeps the room: no AGE or REQUESTER column (both are in the preview)
    expect(lines[1]).toBe('  RISK LEFT  OK   WHERE        COMMAND');
    // long commands keep their start and their end (middle ellipsis)
    expect(lines[2]).toMatch(/^› CRIT 9m +0\/1 +db\.internal +psql "postgres:\/\/admin:\[…_ERROR_STOP=1 --echo-all$/);
    expect(lines[3]).toMatch(/^ {2}HIGH 9m +0\/1 +ns payments +kubectl delete namespace payments$/);
    expect(lines[4]).toMatch(/^ {2}LOW +30s +1\/2 +branch main +git push --force origin main$/);
    // the preview of the selected request follows the separator
    expect(lines).toContain('─'.repeat(80));
    expect(lines.join('\n')).toContain('rq-00000000000b  PENDING  risk CRIT  approvals 0/1  age 45s  9m12s left');
    expect(lines.at(-2)).toBe('↑↓ move  Enter details  a approve  d deny  i ask  / filter  h history  q/^C quit');
    expect(lines.at(-1)).toBe('');
  });

  test('detail: the full command wraps over several lines, never cut; redactions stay marked', () => {
    const s = run(sample(), { type: 'command', command: 'details', viewport: vp });
    const lines = frame(s, 80, 24);
    expectFits(lines, 80, 24);
    const start = lines.indexOf('Command:');
    expect(start).toBeGreaterThan(0);
    const end = lines.findIndex((l, i) => i > start && !l.startsWith('  '));
    const shown = lines
      .slice(start + 1, end)
      .map((l) => l.slice(2))
      .join('');
    expect(shown.replace(/ /g, '')).toBe(LONG.replace(/ /g, ''));
    expect(end - start - 1).toBeGreaterThanOrEqual(3);
    expect(lines.join('\n')).toContain('[redacted:url-password]');
    expect(lines.join('\n')).toContain('CRIT data.destructive-sql (approve) Destructive SQL against a database');
    expect(lines.join('\n')).toContain(
      'Will:\n  CRIT deletes rows in prod: DELETE FROM invoices, DELETE FROM payments',
    );
    expect(lines.join('\n')).toContain('ISO 27001: A.8.13, A.8.32');
    expect(lines.at(-2)).toBe('↑↓ move  a approve  d deny  i ask  h history  Esc back  q/^C quit');
  });

  test('detail scrolls: the last line says where the window is and the rest follows on scroll', () => {
    const rules = Array.from({ length: 6 }, (_, i) => ({
      id: `rule-${i}`,
      effect: 'approve',
      risk: 'high' as const,
      description: `Rule number ${i}`,
      impact: `impact ${i}`,
      controls: ['A.8.32'],
    }));
    const s = run(liveWith([view({ id: ID.a, rules })]), { type: 'command', command: 'details', viewport: vp });
    const top = frame(s, 80, 24);
    expect(top.at(-4)).toMatch(/^── lines 1-18 of 3\d · ↓\/PgDn for more ──$/);
    expect(top.join('\n')).not.toContain('Approvals:');
    const scrolled = frame({ ...s, detailScroll: 100 }, 80, 24);
    const text = scrolled.join('\n');
    expect(text).toContain('Approvals:  0/1');
    expect(scrolled.at(-4)).toMatch(/^── lines \d+-(3\d) of \1 ──$/);
  });

  test('a request decided elsewhere shows a state banner and its acting keys are off', () => {
    const s = run(sample(), {
      type: 'update',
      view: view({ id: ID.b, risk: 'critical', state: 'approved', decidedBy: 'carol', command: LONG }),
    });
    const lines = frame({ ...s, selectedId: ID.b, mode: 'detail' }, 80, 24);
    expect(lines[1]).toBe('■ APPROVED by carol — nothing left to decide');
    expect(lines[2]).toBe('rq-00000000000b  APPROVED  risk CRIT  approvals 0/1  age 3m'); // no time left once closed
    expect(lines.at(-2)).toBe('↑↓ move  (a approve)  (d deny)  (i ask)  h history  Esc back  q/^C quit');
  });

  test('daemon down: said in the header and the message line; nothing is offered as actionable', () => {
    const s = run(sample(), {
      type: 'connection',
      connection: { status: 'down', message: 'ECONNREFUSED', retryAt: NOW + 4000, attempt: 3 },
    });
    const lines = frame({ ...s, flash: undefined }, 80, 24);
    expect(lines[0]).toMatch(/DAEMON DOWN · retry in 4s$/);
    expect(lines.at(-3)).toBe('daemon unreachable (ECONNREFUSED); requests shown are NOT actionable — retrying');
    expect(lines.at(-2)).toContain('(a approve)');
    expect(lines.join('\n')).toContain('■ the daemon is unreachable: nothing can be decided until it is back');
    expect(lines[2]).toMatch(/^› CRIT ~9m/);
  });

  test('passphrase prompt is masked and says what it unlocks', () => {
    const s = run(sample(), { type: 'command', command: 'approve', viewport: vp }, { type: 'text', text: '*******' });
    const lines = frame(s, 80, 24);
    expect(lines.at(-3)).toBe('Passphrase of bob to approve rq-00000000000b (unlocks for 10m): (hidden)');
    expect(lines.at(-2)).toBe('Enter confirm  ^U clear  Esc back  ^C quit');
  });

  test('deny prompt, and an error shown while the prompt stays open', () => {
    const s = run(
      sample(),
      { type: 'command', command: 'deny', viewport: vp },
      { type: 'command', command: 'submit', viewport: vp },
    );
    const lines = frame(s, 80, 24);
    expect(lines.at(-3)).toBe('Deny rq-00000000000b — reason (required):');
    expect(lines.at(-2)).toBe('a reason is required to deny (Esc cancels)');
    expect(lines.at(-1)).toBe('Enter confirm  ^U clear  Esc back  ^C quit');
  });

  test('empty list and no-match filter say so', () => {
    expect(frame(liveWith([]), 80, 24)[1]).toBe('No requests waiting for approval.');
    const s = run(sample(), { type: 'command', command: 'filter', viewport: vp }, { type: 'text', text: 'nomatch' });
    const lines = frame(s, 80, 24);
    expect(lines[0]).toMatch(/filter "nomatch" · 3 open$/);
    expect(lines[1]).toBe('No request matches the filter "nomatch" (Esc clears it).');
    expect(lines.at(-3)).toBe('Filter: nomatch');
  });

  test('history view: each entry with its command (invisible characters shown), the selection marked', () => {
    const s: TuiState = {
      ...base(),
      mode: 'history',
      connection: { status: 'live' },
      historyScroll: 1,
      history: {
        status: 'ready',
        items: [
          {
            seq: 5,
            ts: '2026-11-22T08:19:45.120Z',
            type: 'decision',
            requestId: ID.a,
            who: 'bob',
            summary: 'denied — not today',
            command: 'rm -rf /srv/\u202ewww',
          },
          {
            seq: 4,
            ts: '2026-11-22T08:19:45.100Z',
            type: 'denial',
            requestId: ID.a,
            who: 'bob',
            summary: 'deny via cli — not today',
            command: 'rm -rf /srv/\u202ewww',
          },
          {
            seq: 2,
            ts: '2026-11-22T08:19:40.000Z',
            type: 'decision',
            requestId: ID.b,
            who: 'policy',
            summary: 'rules t.approve: approve',
          },
        ],
      },
    };
    const lines = frame(s, 80, 24);
    expectFits(lines, 80, 24);
    expect(lines.slice(0, 8)).toMatchInlineSnapshot(`
      [
        "guard · history · bob · key locked                                        0 open",
        "  TIME (UTC)     RECORD           REQUEST         WHO        WHAT",
        "  11-22 08:19:45 decision         rq-00000000000a bob        denied — not today",
        "    $ rm -rf /srv/<U+202E>www",
        "› 11-22 08:19:45 denial           rq-00000000000a bob        deny via cli — not…",
        "    $ rm -rf /srv/<U+202E>www",
        "  11-22 08:19:40 decision         rq-00000000000b policy     rules t.approve: a…",
        "    $ (command not in the ledger)",
      ]
    `);
    expect(lines.at(-2)).toBe('↑↓ move  Enter details  r refresh  Esc back  q/^C quit');
  });

  test('history selection follows the keys and the window keeps it on screen', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({
      seq: 100 - i,
      ts: '2026-11-22T08:19:45.120Z',
      type: 'exec_end',
      requestId: ID.a,
      who: undefined,
      summary: `command exited ${i}`,
      command: `echo ${i}`,
    }));
    let s: TuiState = {
      ...base(),
      mode: 'history',
      connection: { status: 'live' },
      history: { status: 'ready', items },
    };
    s = run(s, { type: 'command', command: 'bottom', viewport: { ...vp, historyMax: 39 } });
    expect(s.historyScroll).toBe(39);
    const lines = frame(s, 80, 24);
    expectFits(lines, 80, 24);
    expect(lines.filter((l) => l.startsWith('›'))).toEqual([expect.stringMatching(/command exited 39$/)]);
    expect(lines).toContain('    $ echo 39');
  });

  test('Enter on a history entry opens its record chain, read-only; Esc goes back', () => {
    let s: TuiState = {
      ...base(),
      mode: 'history',
      connection: { status: 'live' },
      history: {
        status: 'ready',
        items: [
          { seq: 9, ts: '2026-11-22T08:19:45.120Z', type: 'exec_end', requestId: ID.a, who: undefined, summary: 'x' },
        ],
      },
    };
    s = run(s, { type: 'command', command: 'details', viewport: vp });
    expect(s.mode).toBe('record');
    expect(s.outbox.at(-1)).toMatchObject({ kind: 'load-record', requestId: ID.a });
    expect(frame(s, 80, 24).slice(0, 3)).toEqual([
      expect.stringMatching(/^guard · history record · bob/),
      `${ID.a} · every ledger record of this request (read-only)`,
      'loading the records…',
    ]);
    const at = (sec: number) => `2026-11-22T08:19:${String(sec).padStart(2, '0')}.000Z`;
    s = run(s, {
      type: 'record-loaded',
      requestId: ID.a,
      items: [
        {
          seq: 1,
          ts: at(1),
          type: 'request',
          requestId: ID.a,
          who: undefined,
          summary: 'by ci · codex in /srv — cleanup',
          command: "kubectl delete ns web '\u202e'",
        },
        { seq: 2, ts: at(2), type: 'decision', requestId: ID.a, who: 'policy', summary: 'rules k.ns: approve' },
        { seq: 3, ts: at(3), type: 'question', requestId: ID.a, who: 'bob', summary: 'ask via tui — which cluster?' },
        { seq: 4, ts: at(4), type: 'approval', requestId: ID.a, who: 'bob', summary: 'approve via tui' },
        { seq: 5, ts: at(5), type: 'decision', requestId: ID.a, who: 'bob', summary: 'approved' },
        { seq: 6, ts: at(6), type: 'exec_start', requestId: ID.a, who: undefined, summary: 'command started' },
        { seq: 7, ts: at(7), type: 'exec_end', requestId: ID.a, who: undefined, summary: 'command exited 0' },
      ],
    });
    const lines = frame(s, 80, 24);
    expectFits(lines, 80, 24);
    expect(lines.slice(0, 14)).toMatchInlineSnapshot(`
      [
        "guard · history record · bob · key locked                                 0 open",
        "rq-00000000000a · every ledger record of this request (read-only)",
        "",
        "Command",
        "  kubectl delete ns web '<U+202E>'",
        "",
        "Records",
        "  11-22 08:19:01 request    by ci · codex in /srv — cleanup",
        "  11-22 08:19:02 decision   policy rules k.ns: approve",
        "  11-22 08:19:03 question   bob ask via tui — which cluster?",
        "  11-22 08:19:04 approval   bob approve via tui",
        "  11-22 08:19:05 decision   bob approved",
        "  11-22 08:19:06 exec_start command started",
        "  11-22 08:19:07 exec_end   command exited 0",
      ]
    `);
    expect(lines.at(-2)).toBe('↑↓ move  Esc back  q/^C quit');
    // nothing acts on a record: approve/deny/ask keys do nothing here
    for (const c of ['approve', 'deny', 'ask'] as const) {
      const after = run(s, { type: 'command', command: c, viewport: vp });
      expect(after.mode).toBe('record');
      expect(after.outbox).toEqual(s.outbox);
    }
    // a late answer for another request is dropped
    const other = run(s, { type: 'record-failed', requestId: ID.b, message: 'boom' });
    expect(other.record).toEqual(s.record);
    s = run(s, { type: 'command', command: 'back', viewport: vp });
    expect(s.mode).toBe('history');
    expect(s.record).toBeUndefined();
  });
});

describe('120 columns', () => {
  test('list and preview stacked: the COMMAND column gets the spare width', () => {
    const lines = frame(sample(), 120, 30);
    expectFits(lines, 120, 30);
    expect(lines[1]).toBe('  RISK AGE   LEFT  OK   WHERE               REQUESTER        COMMAND');
    expect(lines[2]).toMatch(/^› CRIT 45s +9m +0\/1 +db\.internal +codex · ci@runn… psql .*…/);
    expect(lines[2]).toMatch(/--echo-all$/);
    expect(lines.join('\n')).toContain('[redacted:url-password]');
    expect(lines.at(-2)).toBe('↑↓ move  Enter details  a approve  d deny  i ask  / filter  h history  q/^C quit');
  });

  test('detail view at 120: where, reason, ticket and the destructive action before the command', () => {
    const s = run(sample(), { type: 'command', command: 'details', viewport: vp });
    const lines = frame(s, 120, 30);
    expectFits(lines, 120, 30);
    expect(lines.slice(0, 11)).toMatchInlineSnapshot(`
      [
        "guard · requests · bob · key locked                                                                               3 open",
        "rq-00000000000b  PENDING  risk CRIT  approvals 0/1  age 45s  9m12s left",
        "Where:      db.internal",
        "Reason:     clean up the staging namespace",
        "Ticket:     OPS-1234",
        "Will:",
        "  CRIT deletes rows in prod: DELETE FROM invoices, DELETE FROM payments",
        "Command:",
        "  psql "postgres://admin:[redacted:url-password]@db.internal:5432/prod" -c "BEGIN; DELETE FROM invoices WHERE",
        "  created_at < now() - interval '7 years'; DELETE FROM payments WHERE invoice_id NOT IN (SELECT id FROM invoices);",
        "  COMMIT;" --set ON_ERROR_STOP=1 --echo-all",
      ]
    `);
  });
});

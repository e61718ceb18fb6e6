/**
 * The approver terminal's cost per pushed update: reduce the update into the state, then render
 * the whole screen to text with Ink. Baseline: the same with 5 open requests; figures for 500.
 */
import { renderToString } from 'ink';
import { createElement } from 'react';
import type { RequestView } from '../src/channels/types.js';
import { Screen } from '../src/tui/components/screen.js';
import { initialState, type TuiState } from '../src/tui/model.js';
import { reduce } from '../src/tui/reducer.js';
import { makeTheme } from '../src/tui/theme.js';
import { fmt, median } from './lib.js';
import type { Suite } from './suites.js';

const RISKS = ['low', 'medium', 'high', 'critical'] as const;

function makeView(i: number, now: number): RequestView {
  const id = `rq-${i.toString(16).padStart(12, '0')}`;
  const cmd = `kubectl --context prod-${i % 7} delete deployment web-${i} --namespace team-${i % 13} --grace-period=0`;
  return {
    id,
    state: 'pending',
    command: cmd,
    argv: cmd.split(' '),
    cwd: `/home/dev/src/service-${i % 5}`,
    risk: RISKS[i % 4]!,
    requester: { user: 'dev', agent: 'claude-code', host: `box-${i % 3}` },
    reason: 'roll back the broken release',
    ticket: `OPS-${1000 + i}`,
    rules: [
      {
        id: 'k8s.delete',
        effect: 'approve',
        risk: RISKS[i % 4]!,
        description: 'Deleting Kubernetes resources',
        impact: `deletes web-${i}`,
        controls: ['A.8.32'],
      },
    ],
    commands: [cmd],
    context: {
      'git.branch': 'main',
      'git.commit': 'e098ef28f568df4ab780075d8d69f3c3c82ffa92',
      'git.root': '/home/dev/src',
    },
    createdAt: new Date(now - i * 1000).toISOString(),
    expiresAt: new Date(now + 3600_000).toISOString(),
    quorum: 1,
    approvals: [],
  };
}

function stateWith(n: number, now: number): TuiState {
  let s = initialState({ approver: 'bob', unlockWindowMs: 600_000, now });
  s = reduce(s, { type: 'connection', connection: { status: 'live' } });
  return reduce(s, { type: 'snapshot', views: Array.from({ length: n }, (_, i) => makeView(i, now)) });
}

/** ms per (update + full render), median over rounds. */
function perUpdate(n: number, columns: number, rows: number, rounds: number): number {
  const now = Date.parse('2026-11-22T09:00:00Z');
  let s = stateWith(n, now);
  const theme = makeTheme(true);
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    s = reduce(s, {
      type: 'update',
      view: { ...makeView(r % n, now), approvals: [{ approver: 'x', channel: 'slack', at: 't' }] },
    });
    renderToString(createElement(Screen, { state: s, columns, rows, theme }), { columns });
    times.push(performance.now() - t0);
  }
  return median(times);
}

export const tuiSuite: Suite = {
  name: 'tui',
  async run() {
    const rounds = Number(process.env['BENCH_RUNS'] ?? 200);
    perUpdate(5, 80, 24, 20); // warm up the JIT
    for (const [columns, rows] of [
      [80, 24],
      [200, 50],
    ] as const) {
      const base = perUpdate(5, columns, rows, rounds);
      const big = perUpdate(500, columns, rows, rounds);
      process.stdout.write(`${columns}x${rows}  update+render, 5 open requests    median ${fmt(base)} ms\n`);
      process.stdout.write(
        `${columns}x${rows}  update+render, 500 open requests  median ${fmt(big)} ms  (ratio ${fmt(big / base)})\n`,
      );
    }
  },
};

/** Request views and states for the TUI tests (plain data shaped like the daemon's). */
import { render } from 'ink-testing-library';
import type { ReactElement } from 'react';
import type { RequestView } from '../../src/channels/types.js';
import { initialState, type TuiState } from '../../src/tui/model.js';
import { reduce, type Action } from '../../src/tui/reducer.js';

export const NOW = Date.parse('2026-11-22T09:00:00.000Z');

export function view(over: Partial<RequestView> & { id: string }): RequestView {
  return {
    state: 'pending',
    command: 'kubectl delete namespace payments',
    argv: ['kubectl', 'delete', 'namespace', 'payments'],
    cwd: '/home/alice/src/infra',
    risk: 'high',
    requester: { user: 'alice', agent: 'claude-code', host: 'devbox', onBehalfOf: 'alice' },
    reason: 'clean up the staging namespace',
    ticket: 'OPS-1234',
    rules: [
      {
        id: 'k8s-delete-namespace',
        effect: 'approve',
        risk: 'high',
        description: 'Deleting a Kubernetes namespace',
        impact: 'deletes every resource in namespace payments',
        controls: ['A.8.32', 'A.8.9'],
      },
    ],
    commands: ['kubectl delete namespace payments'],
    context: { 'git.repo': 'infra', 'git.branch': 'main', 'git.commit': '1a2b3c4d', 'agent.session': 'sess-42' },
    createdAt: new Date(NOW - 3 * 60_000).toISOString(),
    expiresAt: new Date(NOW + 9 * 60_000 + 12_000).toISOString(),
    quorum: 1,
    approvals: [],
    ...over,
  };
}

export const ID = {
  a: 'rq-00000000000a',
  b: 'rq-00000000000b',
  c: 'rq-00000000000c',
  d: 'rq-00000000000d',
} as const;

export function base(over: Partial<TuiState> = {}): TuiState {
  return { ...initialState({ approver: 'bob', unlockWindowMs: 600_000, now: NOW }), ...over };
}

/** Apply actions in order. */
export function run(state: TuiState, ...actions: Action[]): TuiState {
  return actions.reduce(reduce, state);
}

/** A live state with the given requests. */
export function liveWith(views: RequestView[], over: Partial<TuiState> = {}): TuiState {
  return run(base(over), { type: 'connection', connection: { status: 'live' } }, { type: 'snapshot', views });
}

/** Render at a fixed terminal width with ink-testing-library (its stdout reports 100 columns by default). */
export function renderAt(columns: number, tree: ReactElement) {
  const inst = render(<></>);
  Object.defineProperty(inst.stdout, 'columns', { get: () => columns });
  inst.rerender(tree);
  return inst;
}

/** Frame lines with trailing spaces removed. */
export function frameLines(frame: string | undefined): string[] {
  return (frame ?? '').split('\n').map((l) => l.trimEnd());
}

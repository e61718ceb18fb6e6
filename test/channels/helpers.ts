/**
 * The channel's real collaborator boundary: a minimal in-test ChannelHost with the daemon's
 * contract (null = accepted, text = refusal), plus request views and small waits.
 */
import type { ChannelDecision, ChannelHost, RequestView } from '../../src/channels/types.js';

export interface LogEvent {
  channel: string;
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Accepts one decision per request from mapped identities; refuses others like the daemon would. */
export class TestHost implements ChannelHost {
  readonly decisions: ChannelDecision[] = [];
  readonly refusals: { decision: ChannelDecision; text: string }[] = [];
  readonly logs: LogEvent[] = [];
  readonly decided = new Set<string>();

  constructor(
    /** identity id → approver name; undefined allows everyone. */
    private readonly mapped?: Record<string, string>,
    /** identity ids that are the requester's own human (four-eyes). */
    private readonly selves: string[] = [],
  ) {}

  decide(decision: ChannelDecision): Promise<string | null> {
    let refusal: string | null = null;
    if (this.mapped !== undefined && this.mapped[decision.identity.id] === undefined)
      refusal = `${decision.identity.id} is not an enrolled approver`;
    else if (this.selves.includes(decision.identity.id)) refusal = 'four-eyes: you cannot approve your own request';
    else if (this.decided.has(decision.requestId)) refusal = `request ${decision.requestId} is not pending`;
    if (refusal !== null) {
      this.refusals.push({ decision, text: refusal });
      return Promise.resolve(refusal);
    }
    if (decision.action !== 'ask') this.decided.add(decision.requestId);
    this.decisions.push(decision);
    return Promise.resolve(null);
  }

  log(event: LogEvent): void {
    this.logs.push(event);
  }

  errors(): string[] {
    return this.logs.filter((l) => l.level === 'error').map((l) => l.message);
  }
}

export function view(overrides: Partial<RequestView> = {}): RequestView {
  const now = Date.now();
  return {
    id: 'r-1',
    state: 'pending',
    command: 'terraform destroy -auto-approve',
    argv: ['terraform', 'destroy', '-auto-approve'],
    cwd: '/home/ana/infra',
    risk: 'critical',
    requester: { user: 'ana', agent: 'claude-code', host: 'laptop-7', onBehalfOf: 'ana' },
    reason: 'tear down staging',
    ticket: 'OPS-42',
    rules: [
      {
        id: 'infra.teardown',
        effect: 'approve',
        risk: 'critical',
        description: 'Infrastructure teardown',
        impact: 'destroys every resource in the workspace',
        controls: ['A.8.32'],
      },
    ],
    commands: ['terraform destroy -auto-approve'],
    context: { repo: 'acme/infra', branch: 'main' },
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 15 * 60_000).toISOString(),
    quorum: 1,
    approvals: [],
    ...overrides,
  };
}

/** Polls a condition (no timing assertion: the test timeout is the only bound). */
export async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const FAST_RETRY = { attempts: 3, baseMs: 20, maxMs: 100 };

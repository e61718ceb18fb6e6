/**
 * The scopes an approver may choose from for one request: once (the policy's own grant), N uses,
 * for the policy's longest time, or this agent session — only those the matching rules allow
 * (`max_uses` / `max_ttl`, decision 1082). Each choice carries the exact scope text the approver
 * signs (src/approval/scope.ts), so what a surface shows is what the daemon checks and records.
 * Pure.
 */
import type { ApprovalSettings } from '../policy/types.js';
import type { GrantBounds, RequestView } from '../request/state.js';
import { scopeFacts, scopeText, type GrantRequest } from './scope.js';

/** The view's `grantBounds` for a request under these settings (none when no scoped grant is allowed). */
export function grantBoundsView(a: ApprovalSettings | undefined): { grantBounds?: GrantBounds } {
  if (a?.maxUses === undefined || a.maxTtlSeconds === undefined) return {};
  return {
    grantBounds: {
      maxUses: a.maxUses,
      maxTtlSeconds: a.maxTtlSeconds,
      ttlSeconds: Math.min(a.grantTtlSeconds, a.maxTtlSeconds),
    },
  };
}

export interface GrantChoice {
  /** What the choice is, in a few words ("3 uses", "this session"). */
  label: string;
  /** The exact scope signed; undefined for "once" (the policy's default grant, no scope). */
  grant: GrantRequest | undefined;
}

function valid(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
}

function span(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The choices for a request, "once" first; duplicates (same scope text) are offered once. */
export function grantChoices(view: RequestView): GrantChoice[] {
  const once: GrantChoice = { label: 'once: exactly this command, the policy’s default grant', grant: undefined };
  const b = view.grantBounds;
  if (b === undefined || !valid(b.maxUses) || !valid(b.maxTtlSeconds) || !valid(b.ttlSeconds)) return [once];
  const facts = scopeFacts(view);
  const ttl = Math.min(b.ttlSeconds, b.maxTtlSeconds);
  const make = (label: string, g: Pick<GrantRequest, 'uses' | 'ttlSeconds' | 'session'>): GrantChoice => ({
    label,
    grant: { ...g, scope: scopeText(facts, g) },
  });
  const wanted: GrantChoice[] = [];
  if (b.maxUses > 1) wanted.push(make(`${b.maxUses} uses`, { uses: b.maxUses, ttlSeconds: ttl }));
  if (b.maxTtlSeconds > ttl)
    wanted.push(make(`for ${span(b.maxTtlSeconds)}`, { uses: b.maxUses, ttlSeconds: b.maxTtlSeconds }));
  // a session grant needs the request's own session and a rule to scope it by
  if (view.session !== undefined && facts.rules.length > 0)
    wanted.push(make('this agent session', { uses: b.maxUses, ttlSeconds: b.maxTtlSeconds, session: view.session }));
  const seen = new Set<string>();
  const out = [once];
  for (const c of wanted) {
    if (seen.has(c.grant!.scope)) continue;
    seen.add(c.grant!.scope);
    out.push(c);
  }
  return out;
}

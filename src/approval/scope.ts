/**
 * Scoped grants: what an approver may choose between "this command once" and "forever" — N uses,
 * M minutes, or every command of the same rules by the same agent session — always within the
 * policy's bounds (`max_uses`, `max_ttl`). The scope text is computed the same way by the client
 * that shows it before signing and by the daemon that checks and records it; the signature covers
 * it. Pure.
 */
import type { Grant } from './grants.js';
import { parseTime } from './encoding.js';

/** What the approver asks for (inside the signed decision). */
export interface GrantRequest {
  uses: number;
  ttlSeconds: number;
  /** Widen to this agent session (the request's own session). */
  session?: string | undefined;
  /** The exact scope shown to the approver. */
  scope: string;
}

/** What a session grant covers besides its uses and time. */
export interface GrantScope {
  session: string;
  rules: string[];
  user: string;
  agent?: string | undefined;
  cwd: string;
  text: string;
}

/** The facts of a request a scope is about (its redacted view). */
export interface ScopeFacts {
  rules: string[];
  user: string;
  agent?: string | undefined;
  cwd: string;
  command: string;
  session?: string | undefined;
}

function span(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

/** The scope in words, exactly as shown and recorded. */
export function scopeText(f: ScopeFacts, g: Pick<GrantRequest, 'uses' | 'ttlSeconds' | 'session'>): string {
  const who = `by ${f.user}${f.agent === undefined ? '' : ` (agent ${f.agent})`}`;
  const what =
    g.session === undefined
      ? `exactly \`${f.command}\` in ${f.cwd}`
      : `any command matching rule${f.rules.length === 1 ? '' : 's'} ${[...f.rules].sort().join(', ')} in ${f.cwd}`;
  const where = g.session === undefined ? '' : ` in session ${g.session}`;
  return `${what} ${who}${where}, at most ${g.uses} use${g.uses === 1 ? '' : 's'} within ${span(g.ttlSeconds)}`;
}

/** Why a requested grant is outside the policy's bounds or the request (undefined: allowed). */
export function grantRefusal(
  g: GrantRequest,
  bounds: { maxUses?: number | undefined; maxTtlSeconds?: number | undefined },
  f: ScopeFacts,
): string | undefined {
  if (bounds.maxUses === undefined || bounds.maxTtlSeconds === undefined)
    return 'the policy allows no scoped grant for this request (no max_uses / max_ttl)';
  if (!Number.isSafeInteger(g.uses) || g.uses < 1 || g.uses > bounds.maxUses)
    return `uses must be 1–${bounds.maxUses} (policy max_uses)`;
  if (!Number.isSafeInteger(g.ttlSeconds) || g.ttlSeconds < 1 || g.ttlSeconds > bounds.maxTtlSeconds)
    return `the grant may last at most ${bounds.maxTtlSeconds} s (policy max_ttl)`;
  if (g.session !== undefined && (f.session === undefined || g.session !== f.session))
    return "a session grant must name the request's own agent session";
  if (g.scope !== scopeText(f, g)) return 'the scope text does not match the request (it changed since it was shown)';
  return undefined;
}

/** The request a later command would use a session grant for. */
export interface ScopeProbe {
  session: string | undefined;
  rules: string[];
  user: string;
  agent?: string | undefined;
  cwd: string;
}

const sameSet = (a: string[], b: string[]): boolean =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Revoked, expired or used up first; then every part of the scope must match. */
export function scopedUsable(g: Grant & { scope?: GrantScope | undefined }, p: ScopeProbe, now: Date): boolean {
  const s = g.scope;
  if (s === undefined || g.revoked !== false) return false;
  const expires = parseTime(g.expiresAt);
  if (expires === undefined || now.getTime() >= expires) return false;
  if (!Number.isSafeInteger(g.usesLeft) || g.usesLeft < 1) return false;
  return (
    p.session !== undefined &&
    p.session === s.session &&
    p.user === s.user &&
    p.agent === s.agent &&
    p.cwd === s.cwd &&
    p.rules.length > 0 &&
    sameSet(p.rules, s.rules)
  );
}

/** The scope facts of a request, from its view (the same on the approver's side and the daemon's). */
export function scopeFacts(v: {
  rules: { id: string; effect: string }[];
  requester: { user: string; agent?: string | undefined };
  cwd: string;
  command: string;
  session?: string | undefined;
}): ScopeFacts {
  return {
    rules: v.rules.filter((r) => r.effect === 'approve').map((r) => r.id),
    user: v.requester.user,
    agent: v.requester.agent,
    cwd: v.cwd,
    command: v.command,
    session: v.session,
  };
}

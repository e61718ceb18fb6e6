/**
 * `guard hook <agent>`: the agent's pre-tool hook. Reads the hook JSON on stdin, judges the shell
 * command with the policy engine and answers in the agent's documented format: pass, refuse with
 * the reason, or rewrite to run through `guard exec`. Every failure of guard itself — bad input,
 * a policy that does not load, no daemon to run a rewrite, a blown deadline — is answered with the
 * agent's blocking form (exit 2), never with an exit code the agent would treat as "go ahead".
 */
import { userInfo } from 'node:os';
import { describeError } from '../../errors.js';
import { adapterFor } from '../../integrations/adapters.js';
import { decide, type AllowedMode } from '../../integrations/decide.js';
import { MAX_INPUT_BYTES, parseJson, readInput } from '../../integrations/input.js';
import { failReply } from '../../integrations/pretooluse.js';
import { guardSelf } from '../../integrations/self.js';
import type { AgentAdapter, HookReply, Verdict } from '../../integrations/types.js';
import type { Io } from '../io.js';

/** The whole hook answers within this time or blocks (agents' own timeouts fail open). */
export const HOOK_DEADLINE_MS = 20_000;
const STDIN_TIMEOUT_MS = 5_000;

export interface HookOptions {
  allowed: AllowedMode;
  deadlineMs: number;
}

export function parseHookOptions(opts: Record<string, unknown>): HookOptions | string {
  const allowed = opts['allowed'] ?? 'record';
  if (allowed !== 'record' && allowed !== 'pass')
    return `--allowed must be record or pass, got ${JSON.stringify(allowed)}`;
  const raw = opts['deadlineMs'];
  const deadlineMs = raw === undefined ? HOOK_DEADLINE_MS : Number(raw);
  if (!Number.isInteger(deadlineMs) || deadlineMs < 100 || deadlineMs > 600_000)
    return `--deadline-ms must be an integer between 100 and 600000, got ${JSON.stringify(raw)}`;
  return { allowed, deadlineMs };
}

export async function hookCommand(io: Io, agent: string, opts: Record<string, unknown>): Promise<number> {
  const adapter = adapterFor(agent);
  const parsed = parseHookOptions(opts);
  let reply: HookReply;
  if (adapter === undefined) {
    reply = failReply(`unknown agent ${JSON.stringify(agent)}; use claude-code, gemini, codex or cursor`);
  } else if (typeof parsed === 'string') {
    reply = adapter.render({ kind: 'block', cause: 'guard', reason: parsed }, undefined);
  } else {
    reply = await answer(io, adapter, parsed);
  }
  io.stdout.write(reply.stdout);
  io.stderr.write(reply.stderr);
  return reply.exitCode;
}

async function answer(io: Io, adapter: AgentAdapter, o: HookOptions): Promise<HookReply> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`guard did not reach a decision within ${o.deadlineMs} ms`)),
      o.deadlineMs,
    );
  });
  try {
    return await Promise.race([judge(io, adapter, o), deadline]);
  } catch (err) {
    const d = describeError(err);
    const reason = `guard could not judge this command, so it was blocked: ${d.message}${d.hint === undefined ? '' : ` (${d.hint})`}`;
    return adapter.render({ kind: 'block', cause: 'guard', reason }, undefined);
  } finally {
    clearTimeout(timer);
  }
}

async function judge(io: Io, adapter: AgentAdapter, o: HookOptions): Promise<HookReply> {
  const input = parseJson(await readInput(io.stdin, MAX_INPUT_BYTES, Math.min(STDIN_TIMEOUT_MS, o.deadlineMs)));
  const parsed = adapter.parse(input, io.cwd);
  if (parsed.kind === 'other') return adapter.render({ kind: 'other' }, undefined);
  const { call } = parsed;
  const guard = guardSelf(io.env, process.argv[1], io.cwd);
  const { createEngine, loadPolicy } = await import('../../policy/index.js');
  const engine = await createEngine();
  const loaded = await loadPolicy({ env: io.env, cwd: call.cwd, engine });
  const verdict: Verdict = decide(call, {
    evaluate: (req) => engine.evaluate(req, loaded.policy),
    guard,
    agent: adapter.name,
    requester: { user: userInfo().username, agent: adapter.name },
    mode: o.allowed,
    canRewrite: adapter.canRewrite,
  });
  if (verdict.kind === 'rewrite') await ensureDaemon(io.env);
  return adapter.render(verdict, call);
}

/** A rewritten command needs the daemon at execution: reach it now (starting it if allowed). */
async function ensureDaemon(env: NodeJS.ProcessEnv): Promise<void> {
  const { connectDaemon } = await import('../../daemon/connect.js');
  const client = await connectDaemon(env);
  try {
    await client.call({ type: 'ping' });
  } finally {
    client.close();
  }
}

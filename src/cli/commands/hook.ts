/**
 * `guard hook <agent>`: the agent's pre-tool hook. Reads the hook JSON on stdin, asks the daemon to
 * judge the shell command (`check`: the daemon's loaded policy; the decisions the hook settles
 * itself are recorded there) and answers in the agent's documented format: pass, refuse with the
 * reason, or rewrite to run through `guard exec`. Every failure of guard itself — bad input, no
 * daemon, a policy that does not load, a ledger that cannot be written, a blown deadline — is
 * answered with the agent's blocking form (exit 2), never with an exit code the agent would treat
 * as "go ahead". There is no in-process policy fallback: without the daemon, nothing passes.
 */
import { guardPaths } from '../../config/paths.js';
import { DaemonReplyError, type DaemonClient } from '../../daemon/client.js';
import { connectDaemon } from '../../daemon/connect.js';
import { describeError, FailClosedError } from '../../errors.js';
import { adapterFor } from '../../integrations/adapters.js';
import { askDaemon } from '../../integrations/ask.js';
import { hookIntent } from '../../integrations/intent.js';
import {
  allowedModeFor,
  decide,
  settingsRefusal,
  type AllowedMode,
  type Judgement,
} from '../../integrations/decide.js';
import { cursorFileVerdict, isCursorFileEvent } from '../../integrations/cursor-files.js';
import { fileToolVerdict } from '../../integrations/file-tools.js';
import { isOwnExec } from '../../integrations/own-exec.js';
import { MAX_INPUT_BYTES, parseJson, readInput } from '../../integrations/input.js';
import { failReply } from '../../integrations/pretooluse.js';
import { execClient, guardSelf } from '../../integrations/self.js';
import type { AgentAdapter, HookReply, ShellCall, Verdict } from '../../integrations/types.js';
import type { Io } from '../io.js';
import type { HookCommandOptions } from '../specs/hook.js';

/** The whole hook answers within this time or blocks (agents' own timeouts fail open). */
export const HOOK_DEADLINE_MS = 20_000;
const STDIN_TIMEOUT_MS = 5_000;

export interface HookOptions {
  allowed: AllowedMode;
  deadlineMs: number;
}

export function parseHookOptions(opts: HookCommandOptions): HookOptions | string {
  // pass by default: the agent's own checks see the command itself (decision 0816)
  const allowed = opts.allowed ?? 'pass';
  if (allowed !== 'record' && allowed !== 'pass')
    return `--allowed must be record or pass, got ${JSON.stringify(allowed)}`;
  const raw = opts.deadlineMs;
  const deadlineMs = raw === undefined ? HOOK_DEADLINE_MS : Number(raw);
  if (!Number.isInteger(deadlineMs) || deadlineMs < 100 || deadlineMs > 600_000)
    return `--deadline-ms must be an integer between 100 and 600000, got ${JSON.stringify(raw)}`;
  return { allowed, deadlineMs };
}

export async function hookCommand(io: Io, agent: string, opts: HookCommandOptions): Promise<number> {
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

/** The connection to close when the answer is settled (also when the deadline wins the race). */
interface Open {
  client?: DaemonClient;
  done: boolean;
}

async function answer(io: Io, adapter: AgentAdapter, o: HookOptions): Promise<HookReply> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`guard did not reach a decision within ${o.deadlineMs} ms`)),
      o.deadlineMs,
    );
  });
  const open: Open = { done: false };
  try {
    return await Promise.race([judge(io, adapter, o, open), deadline]);
  } catch (err) {
    const d = describeError(err instanceof DaemonReplyError ? fromReply(err) : err);
    const reason = `guard could not judge this command, so it was blocked: ${d.message}${d.hint === undefined ? '' : ` (${d.hint})`}`;
    return adapter.render({ kind: 'block', cause: 'guard', reason }, undefined);
  } finally {
    clearTimeout(timer);
    open.done = true;
    open.client?.close();
  }
}

async function judge(io: Io, adapter: AgentAdapter, o: HookOptions, open: Open): Promise<HookReply> {
  const input = parseJson(await readInput(io.stdin, MAX_INPUT_BYTES, Math.min(STDIN_TIMEOUT_MS, o.deadlineMs)));
  const parsed = adapter.parse(input, io.cwd);
  if (parsed.kind === 'other') return adapter.render({ kind: 'other' }, undefined);
  const { call } = parsed;
  const refused = settingsRefusal(call);
  if (refused !== undefined) return adapter.render(refused, call);
  // the rewrite targets the native exec client when it was built (it hands the rest to Node)
  const guard = execClient(guardSelf(io.env, process.argv[1], io.cwd));
  // the hand-off line given to an agent that cannot rewrite: guard exec judges and records it
  if (isOwnExec(call.command, guard))
    return adapter.render({ kind: 'pass', reason: 'already runs through guard exec' }, call);
  // the daemon judges with its loaded policy and records what the hook settles (starting it if allowed)
  open.client = await connectDaemon(io.env);
  if (open.done) open.client.close(); // the deadline passed while connecting
  const mode = allowedModeFor(adapter, o.allowed);
  const paths = guardPaths(io.env);
  const pin = { GUARD_HOME: paths.home, ...(paths.socketFromEnv ? { GUARD_SOCKET: paths.socket } : {}) };
  const deps = { guard, agent: adapter.name, mode, canRewrite: adapter.canRewrite, pin };
  // why the agent wants it (agent-supplied, shown to reviewers, never part of the decision)
  const intent = hookIntent(call.transcriptPath, call.toolInput);
  const judgement = await askDaemon(open.client, call, deps, intent);
  const verdict =
    call.fileTool === undefined
      ? await ownRulesFirst(decide(call, judgement, deps), adapter, call, judgement, io.env)
      : isCursorFileEvent(call.fileTool)
        ? cursorFileVerdict(call.fileTool, judgement)
        : fileToolVerdict(call.fileTool, judgement);
  return adapter.render(verdict, call);
}

/**
 * A rewrite hides the command from Codex's and Gemini's own rules: apply them to the real command
 * first, and answer with the client's refusal when it has one (decision 0818).
 */
async function ownRulesFirst(
  verdict: Verdict,
  adapter: AgentAdapter,
  call: ShellCall,
  judgement: Judgement,
  env: NodeJS.ProcessEnv,
): Promise<Verdict> {
  if (verdict.kind !== 'rewrite' || (adapter.name !== 'codex' && adapter.name !== 'gemini')) return verdict;
  // loaded only here (the TOML reader stays off the path of allowed and denied commands)
  const { clientRefusal } = await import('../../integrations/client-rules/index.js');
  return (await clientRefusal(adapter.name, call, judgement.commands, env)) ?? verdict;
}

/** An error answer from the daemon (policy that does not load, ledger not writable, bad request). */
function fromReply(err: DaemonReplyError): FailClosedError {
  return new FailClosedError(`the daemon could not decide: ${err.message}`, { hint: err.hint });
}

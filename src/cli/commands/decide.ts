/**
 * `guard approve|deny|ask ID`: sign a decision with the approver's key (unlocked with the
 * approver's passphrase, read from a terminal or an explicit file/fd) and send it. A failed
 * unlock is reported to the daemon, which records it: attempts without the secret leave a trace.
 */
import { readdirSync } from 'node:fs';
import { refuseUnderAgent } from '../../approval/agent-env.js';
import { approverHome, approverKeyPath, readKeyFile } from '../../approval/keyfile.js';
import { unlockApproverKey, WrongPassphraseError, type ApproverKey } from '../../approval/keys.js';
import { readPassphrase } from '../../approval/passphrase.js';
import type { DecisionAction, SignedDecision } from '../../approval/types.js';
import type { RequestView } from '../../channels/types.js';
import { connectDaemon } from '../../daemon/connect.js';
import { DaemonConnectionError, type DaemonClient } from '../../daemon/client.js';
import type { RequestDetail } from '../../daemon/messages.js';
import { ask } from '../../daemon/replies.js';
import { scopeFacts, scopeText, type GrantRequest } from '../../approval/scope.js';
import { parseDuration } from '../../daemon/duration.js';
import { UsageError } from '../../errors.js';
import { writeLine, type Io } from '../io.js';
import { callDaemon, checkRequestId, mapDaemonError } from './decide-common.js';
import { formatDetail, shown as visibleLine } from './requests.js';
import type { DecideOptions } from '../specs/decide.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** --as NAME, else GUARD_APPROVER, else the only key in the approver's key directory. */
export function approverName(env: NodeJS.ProcessEnv, as: string | undefined): string {
  const named = as ?? str(env['GUARD_APPROVER']);
  if (named !== undefined) return named;
  let keys: string[] = [];
  try {
    keys = readdirSync(approverHome(env)).filter((f) => f.endsWith('.key'));
  } catch {
    // no key directory
  }
  if (keys.length === 1) return keys[0]!.slice(0, -'.key'.length);
  throw new UsageError(
    keys.length === 0 ? `no approver key in ${approverHome(env)}` : `several approver keys in ${approverHome(env)}`,
    {
      hint:
        keys.length === 0
          ? 'enroll with `guard approver enroll`, or set GUARD_APPROVER_HOME to where your key lives'
          : 'choose one with --as NAME',
    },
  );
}

export async function report(client: DaemonClient, requestId: string, approver: string, reason: string): Promise<void> {
  try {
    await ask(client, { type: 'report_refusal', requestId, approver, reason });
  } catch {
    // best effort: the refusal itself is what matters
  }
}

/** The approver's encrypted key; a missing one is reported to the daemon (and recorded) first. */
export async function approverKeyOf(
  client: DaemonClient,
  env: NodeJS.ProcessEnv,
  id: string,
  name: string,
): Promise<string> {
  try {
    return readKeyFile(approverKeyPath(env, name));
  } catch (err) {
    await report(client, id, name, `no approver key for ${name} on this account`);
    throw err;
  }
}

/** Unlock the key and use it once; a wrong passphrase is reported (and recorded); the passphrase is zeroed. */
export async function withApproverKey<T>(
  client: DaemonClient,
  id: string,
  name: string,
  encrypted: string,
  passphrase: Buffer,
  use: (key: ApproverKey) => T,
): Promise<T> {
  try {
    const key = unlockApproverKey(encrypted, passphrase);
    try {
      return use(key);
    } finally {
      key.dispose();
    }
  } catch (err) {
    if (err instanceof WrongPassphraseError)
      await report(client, id, name, 'wrong passphrase (approver key could not be unlocked)');
    throw err;
  } finally {
    passphrase.fill(0);
  }
}

/**
 * Send the signed decision. The daemon closes connections left idle (a human slow at the
 * passphrase prompt); then connect again and send it once more — a decision that did arrive is
 * refused the second time as a replay, never counted twice.
 */
export async function sendDecision(
  io: Io,
  client: DaemonClient,
  signed: SignedDecision,
  replaced: (c: DaemonClient) => void,
  stepUp?: { idToken: string; viewHash: string },
): Promise<{ state: string; view: RequestView }> {
  const body = { type: 'decide', signed, ...(stepUp === undefined ? {} : { stepUp }) } as const;
  try {
    return await ask(client, body);
  } catch (err) {
    if (!(err instanceof DaemonConnectionError)) throw mapDaemonError(err);
  }
  client.close();
  const again = await connectDaemon(io.env);
  replaced(again);
  return callDaemon(again, body, false);
}

/** Level 3: a fresh IdP login (max_age=0) whose nonce names this request and the view just shown. */
async function stepUpLogin(
  io: Io,
  id: string,
  detail: RequestDetail,
  shown: string,
): Promise<{ idToken: string; viewHash: string }> {
  const { requireIdentity } = await import('../../identity/load.js');
  const { refreshIdentityMetadata } = await import('../../identity/metadata.js');
  const { loginWithCode } = await import('../../identity/login.js');
  const { stepUpNonce, viewHash } = await import('../../identity/nonce.js');
  const { cfg, home } = requireIdentity(io.env);
  const meta = await refreshIdentityMetadata(cfg, home);
  const hash = viewHash(shown);
  const nonce = stepUpNonce(id, detail.fingerprint, hash);
  const idToken = await loginWithCode({ cfg, meta, nonce, maxAge: 0, acrValues: cfg.acr_values }, (url) =>
    writeLine(io.stderr, `Sign in again to approve ${id}: ${url}`),
  );
  return { idToken, viewHash: hash };
}

function summary(action: DecisionAction, v: RequestView): string {
  if (v.state === 'approved')
    return `request ${v.id} is approved (${v.approvals.length}/${v.quorum}); the command can run now`;
  if (v.state === 'denied') return `request ${v.id} is denied`;
  if (v.state === 'needs_info') return `request ${v.id} now waits for the requester's answer`;
  if (action === 'approve')
    return `approval recorded for ${v.id}: ${v.approvals.length} of ${v.quorum} needed (distinct approvers)`;
  return `request ${v.id} is ${v.state}`;
}

/** `--uses N`, `--for DURATION`, `--this-session`: the scoped grant asked for (none given: the policy's). */
function grantOption(detail: RequestDetail, opts: DecideOptions): GrantRequest | undefined {
  if (opts.uses === undefined && opts.for === undefined && opts.thisSession !== true) return undefined;
  const uses = opts.uses === undefined ? 1 : Number(opts.uses);
  if (!Number.isSafeInteger(uses) || uses < 1) throw new UsageError('--uses must be a whole number of 1 or more');
  const ttlSeconds = Math.ceil(parseDuration(str(opts.for) ?? '15m', '--for'));
  let session: string | undefined;
  if (opts.thisSession === true) {
    session = detail.view.session;
    if (session === undefined) throw new UsageError('--this-session: the request names no agent session');
  }
  const g = { uses, ttlSeconds, session };
  return { ...g, scope: scopeText(scopeFacts(detail.view), g) };
}

export async function decide(
  io: Io,
  action: DecisionAction,
  id: string | undefined,
  opts: DecideOptions,
): Promise<number> {
  refuseUnderAgent(
    io.env,
    `${action} a request`,
    'decisions come from a human approver in their own terminal or channel; the agent waits for them',
  );
  if (id === undefined) throw new UsageError('give the request id', { hint: 'list requests with `guard requests`' });
  checkRequestId(id);
  const reason = str(opts.reason);
  const question = str(opts.question);
  if (action === 'deny' && reason === undefined)
    throw new UsageError('guard deny needs --reason TEXT (the requester is told why)');
  if (action === 'ask' && question === undefined) throw new UsageError('guard ask needs --question TEXT');
  const fd = opts.passphraseFd === undefined ? undefined : Number(opts.passphraseFd);
  let client = await connectDaemon(io.env);
  try {
    const detail = await callDaemon(client, { type: 'show', requestId: id }, false);
    const name = approverName(io.env, str(opts.as));
    const encrypted = await approverKeyOf(client, io.env, id, name);
    const shown = formatDetail(detail);
    writeLine(io.stderr, `${shown}\n`);
    const grant = action === 'approve' ? grantOption(detail, opts) : undefined;
    // the exact scope, shown before the passphrase; the signature covers it and the daemon records it
    if (grant !== undefined) writeLine(io.stderr, `guard: this approval grants: ${visibleLine(grant.scope)}`);
    const stepUp =
      action === 'approve' && detail.stepUp === true ? await stepUpLogin(io, id, detail, shown) : undefined;
    const passphrase = await readPassphrase({
      passphraseFile: str(opts.passphraseFile),
      passphraseFd: fd,
      tty: Boolean((io.stdin as { isTTY?: boolean }).isTTY),
      prompt: `passphrase of approver ${name} to ${action} ${id}: `,
      stdin: io.stdin,
      stderr: io.stderr,
    });
    const signed: SignedDecision = await withApproverKey(client, id, name, encrypted, passphrase, (key) =>
      key.sign({
        v: 1,
        requestId: id,
        fingerprint: detail.fingerprint,
        action,
        reason,
        question,
        at: new Date().toISOString(),
        approver: name,
        grant,
        preview: detail.view.preview?.sha256,
      }),
    );
    const res = await sendDecision(io, client, signed, (c) => (client = c), stepUp);
    writeLine(io.stderr, `guard: ${summary(action, res.view)}`);
    if (opts.json === true) writeLine(io.stdout, JSON.stringify(res));
    return 0;
  } finally {
    client.close();
  }
}

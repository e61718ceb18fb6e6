/**
 * `credential`: manage the enforced-mode credential store (src/credentials/store.ts). Only the
 * daemon's own uid or root (the kernel-verified peer, as for enrolment: decision 0425) may add,
 * rotate, remove or list; anyone else is refused and the refusal recorded. The ledger records the
 * name, kind, target, version and salted hash of each change — never the value.
 */
import { publicMeta } from '../../credentials/store.js';
import { UsageError } from '../../errors.js';
import type { DaemonContext } from '../context.js';
import { credentialStore } from '../executor.js';
import type { ClientMessage } from '../messages.js';
import { peerRecord, scopeOf } from '../scope.js';
import { ReplyError, type Conn } from '../server.js';

type CredentialMessage = Extract<ClientMessage, { type: 'credential' }>;

export async function handleCredential(ctx: DaemonContext, conn: Conn, msg: CredentialMessage): Promise<void> {
  const scope = scopeOf(ctx, conn);
  if (scope.kind !== 'owner') {
    const reason = `user ${scope.user} (uid ${scope.uid}) may not manage credentials; only the daemon's user or root may`;
    await ctx.ledger.append('credential_refused', {
      op: msg.op,
      ...(msg.name === undefined ? {} : { name: msg.name }),
      reason,
      ...peerRecord(conn),
    });
    ctx.log.warn(`credential ${msg.op} refused: ${reason}`);
    throw new ReplyError(
      'refused',
      `refused: ${reason}`,
      'an administrator manages credentials as root or the daemon user',
    );
  }
  const store = await credentialStore(ctx);
  if (msg.op === 'list') {
    conn.result(msg.id, { store: store.kind, credentials: store.list().map(publicMeta) });
    return;
  }
  if (msg.name === undefined) throw new ReplyError('bad_request', `credential ${msg.op} needs a name`);
  try {
    if (msg.op === 'remove') {
      const old = await store.remove(msg.name);
      await ctx.ledger.append('credential_changed', { op: 'remove', ...publicMeta(old), ...peerRecord(conn) });
      conn.result(msg.id, publicMeta(old));
      return;
    }
    if (msg.kind === undefined || msg.target === undefined || msg.valueB64 === undefined)
      throw new ReplyError('bad_request', `credential ${msg.op} needs kind, target and value`);
    const meta = await store.put(
      msg.name,
      msg.kind,
      msg.target,
      Buffer.from(msg.valueB64, 'base64'),
      msg.op === 'rotate',
      ctx.now(),
      msg.ttlSeconds,
    );
    await ctx.ledger.append('credential_changed', { op: msg.op, ...publicMeta(meta), ...peerRecord(conn) });
    conn.result(msg.id, publicMeta(meta));
  } catch (err) {
    if (err instanceof UsageError) throw new ReplyError('refused', err.message, err.hint);
    throw err;
  }
}

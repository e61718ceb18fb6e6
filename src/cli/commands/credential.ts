/**
 * `guard credential add|rotate|remove|list`: talks to the daemon, which alone holds the store
 * (src/daemon/handlers/credential.ts). Values come from a file or a descriptor, never argv or env.
 */
import { readFileSync } from 'node:fs';
import { DaemonProtocolError } from '../../daemon/client.js';
import { connectDaemon } from '../../daemon/connect.js';
import type { ReplyOf } from '../../daemon/messages.js';
import { UsageError } from '../../errors.js';
import { callDaemon } from './decide-common.js';
import { writeLine, type Io } from '../io.js';
import type { CredentialListOptions, CredentialPutOptions, CredentialRemoveOptions } from '../specs/credential.js';

type Answer = ReplyOf<'credential'>;
type Shown = Exclude<Answer, { credentials: unknown }>;
type Listed = Extract<Answer, { credentials: unknown }>;

/** The variant the operation answers with (add, rotate, remove: one credential; list: the store). */
function one(r: Answer): Shown {
  if ('credentials' in r)
    throw new DaemonProtocolError("the daemon's answer to credential is a list, not one credential");
  return r;
}
function list(r: Answer): Listed {
  if (!('credentials' in r)) throw new DaemonProtocolError("the daemon's answer to credential list is not a list");
  return r;
}

const line = (c: Shown): string => `${c.name}\t${c.kind}\t${c.target}\tv${c.version}\tsha256:${c.hash.slice(0, 16)}`;

function readValue(opts: CredentialPutOptions): Buffer {
  const file = opts.fromFile;
  const fd = opts.fromFd;
  if ((file === undefined) === (fd === undefined))
    throw new UsageError('give the value with exactly one of --from-file FILE or --from-fd N', {
      hint: 'the value never comes from the command line or the environment',
    });
  return readFileSync(typeof file === 'string' ? file : (fd as number));
}

export async function credentialPut(
  io: Io,
  op: 'add' | 'rotate',
  name: string,
  opts: CredentialPutOptions,
): Promise<number> {
  const kinds = (['env', 'file', 'mint'] as const).filter((k) => typeof opts[k] === 'string');
  if (kinds.length !== 1) throw new UsageError('give exactly one of --env VAR, --file VAR or --mint VAR');
  const kind = kinds[0]!;
  const raw = readValue(opts);
  // a file credential keeps its bytes exactly; one trailing newline (as `echo` or an editor
  // leaves it) is not part of an environment value
  const value = kind !== 'file' && raw.at(-1) === 0x0a ? raw.subarray(0, raw.length - 1) : raw;
  const client = await connectDaemon(io.env, { autostart: false });
  const rec = one(
    await callDaemon(client, {
      type: 'credential',
      op,
      name,
      kind,
      target: opts[kind] as string,
      valueB64: value.toString('base64'),
      ...(typeof opts.ttl === 'number' ? { ttlSeconds: opts.ttl } : {}),
    }),
  );
  if (opts.json === true) writeLine(io.stdout, JSON.stringify(rec));
  else writeLine(io.stdout, `${op === 'add' ? 'added' : 'rotated'} ${line(rec)}`);
  return 0;
}

export async function credentialRemove(io: Io, name: string, opts: CredentialRemoveOptions): Promise<number> {
  const client = await connectDaemon(io.env, { autostart: false });
  const rec = one(await callDaemon(client, { type: 'credential', op: 'remove', name }));
  writeLine(io.stdout, opts.json === true ? JSON.stringify(rec) : `removed ${line(rec)}`);
  return 0;
}

export async function credentialList(io: Io, opts: CredentialListOptions): Promise<number> {
  const client = await connectDaemon(io.env, { autostart: false });
  const r = list(await callDaemon(client, { type: 'credential', op: 'list' }));
  if (opts.json === true) writeLine(io.stdout, JSON.stringify(r));
  else if (r.credentials.length === 0) writeLine(io.stdout, 'no credentials');
  else for (const c of r.credentials) writeLine(io.stdout, line(c));
  return 0;
}

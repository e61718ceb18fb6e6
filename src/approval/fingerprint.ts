/**
 * The request fingerprint: what an approval is bound to. sha256 hex over the canonical JSON of the
 * exact argv, cwd, requester and (when known) the program's digest, the environment's digest
 * (src/approval/binding.ts) and where each argument resolved on disk.
 */
import { createHash } from 'node:crypto';
import { FailClosedError } from '../errors.js';
import type { Requester } from '../policy/types.js';
import { canonicalize } from '../util/canonical.js';
import { withoutUndefined } from './encoding.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A string as-is, or `{b64}` for bytes that are not valid UTF-8 (the two can never collide). */
type Word = string | { b64: string } | { utf16: string };

function fromBytes(raw: Buffer): Word {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return { b64: raw.toString('base64') };
  }
}

/** A JS string with a lone surrogate has no UTF-8 form; keep its exact code units instead. */
function fromString(s: string): Word {
  return LONE_SURROGATE.test(s) ? { utf16: Buffer.from(s, 'utf16le').toString('base64') } : s;
}

export interface FingerprintInput {
  /** The exact, real argv (never the redacted one). */
  argv: string[];
  /** Exact argument bytes when the client has them (Linux); used instead of argv, item by item. */
  rawArgv?: Buffer[] | undefined;
  cwd: string;
  requester: Requester;
  /** sha256 hex of the resolved program file, when the client computed it. */
  programSha256?: string | undefined;
  /** sha256 hex of the environment the command will get, when the client computed it. */
  envDigest?: string | undefined;
  /** Each argument resolved as a path at request time (src/context/binding.ts), when computed. */
  targets?: readonly (string | null)[] | undefined;
  /** Script files the command runs, with the digest of the content judged (decision 0125). */
  scripts?: readonly { path: string; sha256: string | null }[] | undefined;
}

export function requestFingerprint(input: FingerprintInput): string {
  if (input.rawArgv !== undefined && input.rawArgv.length !== input.argv.length) {
    throw new FailClosedError(
      `raw argv has ${input.rawArgv.length} items but argv has ${input.argv.length}: cannot bind an approval to it`,
    );
  }
  const argv = input.rawArgv !== undefined ? input.rawArgv.map(fromBytes) : input.argv.map(fromString);
  const r = input.requester;
  const requester = withoutUndefined({
    user: fromString(r.user),
    agent: r.agent === undefined ? undefined : fromString(r.agent),
    host: r.host === undefined ? undefined : fromString(r.host),
    onBehalfOf: r.onBehalfOf === undefined ? undefined : fromString(r.onBehalfOf),
  });
  const body = withoutUndefined({
    v: 1,
    argv,
    cwd: fromString(input.cwd),
    requester,
    programSha256: input.programSha256,
    envDigest: input.envDigest,
    targets: input.targets?.map((t) => (t === null ? null : fromString(t))),
    scripts: input.scripts === undefined || input.scripts.length === 0 ? undefined : input.scripts,
  });
  return createHash('sha256').update(canonicalize(body), 'utf8').digest('hex');
}

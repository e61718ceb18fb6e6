/**
 * The I/O edge of script-file judging (issue 22, decision 0125): read the files a line runs
 * (`bash x.sh`, `python x.py`, `./x`, `psql -f q.sql`, `make`), bounded, at decision time, hand
 * their text to the pure engine (`PolicyRequest.files`) and hash what was judged so that an
 * approval binds it. Unreadable, oversized, non-regular or non-text files are errors: the engine
 * makes them unresolved (held), never allowed.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { CompiledPolicy } from './rules/compiled.js';
import type { Engine } from './engine.js';
import type { Decision, PolicyRequest, ScriptFile, ScriptRef } from './types.js';

/** Largest script file judged; a larger one is held (the engine's own limit on a line). */
export const MAX_SCRIPT_BYTES = 256 * 1024;
/** A script that runs a script …: files read in at most this many rounds; deeper ones stay unread. */
const MAX_ROUNDS = 4;
/** The names GNU make tries, in order. */
const MAKEFILES = ['GNUmakefile', 'makefile', 'Makefile'];

function readBounded(path: string, kind: ScriptRef['kind']): ScriptFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    return { error: `cannot open ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { error: `${path} is not a regular file` };
    const head = Buffer.alloc(Math.min(st.size, 4096));
    const n = readSync(fd, head, 0, head.length, 0);
    const binary = head.subarray(0, n).includes(0) || head.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'));
    if (binary && kind === 'exec') return { binary: true };
    if (binary) return { error: `${path} is binary, not a script` };
    if (st.size > MAX_SCRIPT_BYTES)
      return { error: `${path} is ${st.size} bytes, over the ${MAX_SCRIPT_BYTES} bytes guard reads` };
    const buf = Buffer.alloc(st.size + 1);
    let got = 0;
    for (let r = -1; r !== 0 && got < buf.length; got += r) r = readSync(fd, buf, got, buf.length - got, got);
    if (got !== st.size) return { error: `${path} changed while it was read` };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, got));
    } catch {
      return { error: `${path} is not UTF-8 text` };
    }
    return { text, sha256: createHash('sha256').update(buf.subarray(0, got)).digest('hex') };
  } finally {
    closeSync(fd);
  }
}

/** Read one script file as the engine named it. `make` without `-f` reads the file make would pick. */
export function readScript(ref: Pick<ScriptRef, 'path' | 'kind'>): ScriptFile {
  if (!ref.path.endsWith('/')) return readBounded(ref.path, ref.kind);
  for (const name of MAKEFILES) {
    const f = readBounded(`${ref.path}${name}`, ref.kind);
    if ('error' in f && /: ENOENT$/.test(f.error)) continue;
    if (!('text' in f)) return f;
    // the digest names the file chosen: a GNUmakefile planted later changes it
    return { ...f, file: name, sha256: createHash('sha256').update(`${name}\0${f.sha256}`).digest('hex') };
  }
  return { error: `no Makefile in ${ref.path}` };
}

/**
 * Evaluate with the script files read: evaluate, read the files the decision names, evaluate
 * again with their text, until no new file is named (bounded). The decision's `scripts` carry the
 * digests of what was judged.
 */
export function evaluateWithScripts(
  engine: Pick<Engine, 'evaluate'>,
  req: PolicyRequest,
  policy: CompiledPolicy,
  read: (ref: ScriptRef) => ScriptFile = readScript,
): Decision {
  const files: Record<string, ScriptFile> = {};
  let d = engine.evaluate({ ...req, files }, policy);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const unread = (d.scripts ?? []).filter((s) => !Object.hasOwn(files, s.path));
    if (unread.length === 0) break;
    for (const s of unread) files[s.path] = read(s);
    d = engine.evaluate({ ...req, files }, policy);
  }
  if (d.scripts === undefined) return d;
  return { ...d, scripts: d.scripts.map((s) => ({ ...s, sha256: digestOf(files[s.path]) })) };
}

function digestOf(f: ScriptFile | undefined): string | undefined {
  return f !== undefined && 'text' in f ? f.sha256 : undefined;
}

/**
 * Whether the files a decision judged still hold what was judged: undefined when they do, else
 * what changed. Called just before an approved command is told to run.
 */
export function scriptsChanged(
  scripts: readonly ScriptRef[] | undefined,
  read: (ref: ScriptRef) => ScriptFile = readScript,
): string | undefined {
  for (const s of scripts ?? []) {
    const now = digestOf(read(s));
    if (now !== s.sha256) return `${s.path} changed after it was judged and approved`;
  }
  return undefined;
}

/** The script digests an approval binds: path and digest of every file judged, in order. */
export function scriptBinding(scripts: readonly ScriptRef[] | undefined): { path: string; sha256: string | null }[] {
  return (scripts ?? []).map((s) => ({ path: s.path, sha256: s.sha256 ?? null }));
}

/**
 * What the reviewer is shown of the script files: `script.<path>` → the digest of the content that
 * was judged (and that the approval binds), or why it was not judged.
 */
export function scriptContext(d: Pick<Decision, 'scripts' | 'unresolved'>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of d.scripts ?? []) {
    const why = d.unresolved.find((u) => u.kind.startsWith('script-') && u.detail.includes(s.path));
    out[`script.${s.path}`] =
      s.sha256 !== undefined ? `sha256:${s.sha256}` : (why?.detail ?? 'not judged by content (a binary program)');
  }
  return out;
}

import { detectSpans } from './detect.js';
import { secretAssignmentKind } from './names.js';
import { finish, makeSink, type Sink } from './redact.js';
import type { Redacted, RedactOptions } from './types.js';

const MAX_DEPTH = 64;

/**
 * Deep-redact every string of a JSON-able value: the last line of defence before a ledger write
 * or a channel payload. Object keys are redacted too; a string under a secret-looking key
 * (`password`, `apiToken`, …) is hidden whole. Cycles and nesting deeper than 64 levels become
 * markers instead of being followed. Findings carry the JSON path in `key`.
 */
export function redactDeep<T>(value: T, opts: RedactOptions = {}): Redacted<T> {
  const sink = makeSink(opts);
  const out = walk(value, '$', '', sink, new WeakSet(), 0) as T;
  return { value: out, findings: sink.findings };
}

const text = (s: string, path: string, sink: Sink): string =>
  finish(s, detectSpans(s, sink.compiled), 'text', -1, path, sink);

function walk(v: unknown, path: string, parentKey: string, sink: Sink, seen: WeakSet<object>, depth: number): unknown {
  if (typeof v === 'string') {
    const kind = parentKey === '' ? undefined : secretAssignmentKind(parentKey, v);
    if (kind !== undefined)
      return finish(v, [{ start: 0, end: v.length, kind, keep: 0, priority: 2 }], 'text', -1, path, sink);
    return text(v, path, sink);
  }
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return '[circular]';
  if (depth >= MAX_DEPTH) return '…[redacted:too-deep]';
  seen.add(v);
  try {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`, parentKey, sink, seen, depth + 1));
    if (v instanceof Date) return v;
    if (Buffer.isBuffer(v) || ArrayBuffer.isView(v)) return '…[redacted:binary]';
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const rk = text(k, `${path}{key}`, sink);
      out[rk] = walk(x, `${path}.${rk}`, k, sink, seen, depth + 1);
    }
    return out;
  } finally {
    seen.delete(v);
  }
}

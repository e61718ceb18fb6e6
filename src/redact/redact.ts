import { applySpans, detectSpans, mergeSpans, type Compiled } from './detect.js';
import { makeHasher } from './hash.js';
import { secretAssignmentKind } from './names.js';
import { scanWords } from './argvrules.js';
import { compilePatterns } from './rules.js';
import type { Redacted, RedactOptions, SecretFinding, Span } from './types.js';

/** More secrets than this in one string: the whole string is hidden as one finding. */
export const MAX_FINDINGS_PER_STRING = 32;

/** Collects findings for one call; hashing is budgeted per call. */
export interface Sink {
  findings: SecretFinding[];
  hash: (secret: string) => { hash: string; salt: string };
  compiled: Compiled;
}

export function makeSink(opts: RedactOptions): Sink {
  return { findings: [], hash: makeHasher(), compiled: compilePatterns(opts.patterns) };
}

export function finish(
  s: string,
  spans: Span[],
  where: SecretFinding['where'],
  index: number,
  key: string | undefined,
  sink: Sink,
): string {
  if (spans.length === 0) return s;
  let merged = mergeSpans(spans);
  if (merged.length > MAX_FINDINGS_PER_STRING)
    merged = [{ start: 0, end: s.length, kind: 'too-many-secrets', keep: 0, priority: 4 }];
  for (const sp of merged) {
    const { hash, salt } = sink.hash(s.slice(sp.start, sp.end));
    sink.findings.push({
      where,
      index,
      ...(key === undefined ? {} : { key }),
      kind: sp.kind,
      start: sp.start,
      end: sp.end,
      hash,
      salt,
    });
  }
  return applySpans(s, merged);
}

/** Redact an argv for display; the shape (one element per argument) is kept. */
export function redactArgv(argv: string[], opts: RedactOptions = {}): Redacted<string[]> {
  const sink = makeSink(opts);
  const perWord: Span[][] = argv.map((a) => detectSpans(a, sink.compiled));
  for (const ws of scanWords(argv)) perWord[ws.word]!.push(ws);
  const value = argv.map((a, i) => finish(a, perWord[i]!, 'argv', i, undefined, sink));
  return { value, findings: sink.findings };
}

/** Redact environment values: by name (`*_TOKEN`, `*PASSWORD*`, …) and by content. */
export function redactEnv(env: Record<string, string>, opts: RedactOptions = {}): Redacted<Record<string, string>> {
  const sink = makeSink(opts);
  const value: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (typeof v !== 'string') continue;
    const spans = detectSpans(v, sink.compiled);
    const kind = secretAssignmentKind(k, v);
    if (kind !== undefined) spans.push({ start: 0, end: v.length, kind, keep: 0, priority: 2 });
    value[k] = finish(v, spans, 'env', -1, k, sink);
  }
  return { value, findings: sink.findings };
}

/** Redact free text: command lines, reasons, context values. */
export function redactText(text: string, opts: RedactOptions = {}): Redacted<string> {
  const sink = makeSink(opts);
  const value = finish(text, detectSpans(text, sink.compiled), 'text', -1, undefined, sink);
  return { value, findings: sink.findings };
}

import { echoIntoSecretReader, scanWords } from './argvrules.js';
import { scanKeyValues } from './keyvalue.js';
import { scanKnownFormats } from './patterns.js';
import { scanContextRules } from './rules.js';
import { splitCommands } from './shellwords.js';
import type { Span } from './types.js';

/**
 * Longest string scanned. Above it the whole value is redacted (kind `oversize`): scanning is
 * linear, but a cap keeps the exec path bounded and a value this long on a command line is an
 * unreviewable blob anyway. See docs/decisions/0302-redaction-limits.md.
 */
export const MAX_SCAN = 64 * 1024;
/** Scripts inside scripts (`bash -c "sh -c '…'"`) are followed this deep. */
const MAX_DEPTH = 3;

export type Compiled = { name: string; re: RegExp }[];

/** Every secret span found in one string (unmerged). */
export function detectSpans(s: string, compiled: Compiled, depth = 0): Span[] {
  if (s.length > MAX_SCAN) return [{ start: 0, end: s.length, kind: 'oversize', keep: 0, priority: 4 }];
  const out: Span[] = [];
  scanKnownFormats(s, out);
  scanContextRules(s, compiled, out);
  scanKeyValues(s, out);
  if (depth < MAX_DEPTH && /\s/.test(s)) {
    const commands = splitCommands(s);
    commands.forEach((words, k) => {
      const values = words.map((w) => w.value);
      for (const ws of scanWords(values)) {
        const map = words[ws.word]!.map;
        out.push({ ...ws, start: map[ws.start]!, end: map[ws.end - 1]! + 1 });
      }
      for (const i of echoIntoSecretReader(
        values,
        commands[k + 1]?.map((w) => w.value),
      )) {
        const map = words[i]!.map;
        if (map.length > 0)
          out.push({ start: map[0]!, end: map[map.length - 1]! + 1, kind: 'secret-stdin', keep: 0, priority: 2 });
      }
      for (const w of words) {
        if (!w.quoted || !/\s/.test(w.value)) continue;
        for (const inner of detectSpans(w.value, compiled, depth + 1)) {
          if (inner.end <= inner.start) continue;
          out.push({ ...inner, start: w.map[inner.start]!, end: w.map[inner.end - 1]! + 1 });
        }
      }
    });
  }
  return out;
}

/** Sort and merge overlapping spans; the most specific kind wins. */
export function mergeSpans(spans: Span[]): Span[] {
  const sorted = spans.filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const cur = out[out.length - 1];
    if (cur !== undefined && s.start < cur.end) {
      if (s.priority > cur.priority) {
        cur.kind = s.kind;
        cur.priority = s.priority;
        cur.keep = s.start === cur.start ? s.keep : 0;
      }
      cur.end = Math.max(cur.end, s.end);
    } else {
      out.push({ ...s });
    }
  }
  for (const s of out) s.keep = Math.max(0, Math.min(s.keep, s.end - s.start - 1));
  return out;
}

/** Replace each span by its display form: `<public prefix>…[redacted:<kind>]`. */
export function applySpans(s: string, merged: Span[]): string {
  let out = '';
  let at = 0;
  for (const sp of merged) {
    out += s.slice(at, sp.start) + s.slice(sp.start, sp.start + sp.keep) + `…[redacted:${sp.kind}]`;
    at = sp.end;
  }
  return out + s.slice(at);
}

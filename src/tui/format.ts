/**
 * Text helpers for the terminal: durations, labels, one-line summaries and hard wrapping of
 * styled segments (so the detail pane knows its exact line count and can scroll).
 */
import { dangerRanges } from '../channels/summary.js';
import type { RequestView } from '../channels/types.js';
import { charWidth, displayWidth, visibleText } from '../util/visible.js';

/** A run of text with one style. */
export interface Segment {
  text: string;
  style?: SegmentStyle | undefined;
}
export type SegmentStyle =
  | 'label'
  | 'dim'
  | 'redacted'
  | 'match'
  | 'risk-low'
  | 'risk-medium'
  | 'risk-high'
  | 'risk-critical'
  | 'warn'
  | 'ok'
  | 'bold';
export type Line = Segment[];

/** "42s", "3m", "1h05m", "2d03h" — compact, for columns. */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}

/** "4m12s", for the detail pane. */
export function longDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return shortDuration(ms);
}

export function age(view: RequestView, now: number): string {
  const t = Date.parse(view.createdAt);
  return Number.isFinite(t) ? shortDuration(now - t) : '?';
}

/** Time left to decide, or "expired". */
export function timeLeft(view: RequestView, now: number, long = false): string {
  const t = Date.parse(view.expiresAt);
  if (!Number.isFinite(t) || t <= now) return 'expired';
  return (long ? longDuration : shortDuration)(t - now);
}

const RISK_LABEL: Record<string, string> = { low: 'LOW', medium: 'MED', high: 'HIGH', critical: 'CRIT' };

export function riskLabel(risk: string): string {
  return RISK_LABEL[risk] ?? risk.toUpperCase().slice(0, 4);
}

export function riskStyle(risk: string): SegmentStyle {
  return risk === 'low' || risk === 'medium' || risk === 'high' ? `risk-${risk}` : 'risk-critical';
}

/** "claude-code · alice@box" */
/** The hub's name of the host a fleet view comes from (`guard tui --hub`), if any. */
export function fleetHostOf(view: RequestView): string | undefined {
  const h = (view as { fleetHost?: unknown }).fleetHost;
  return typeof h === 'string' ? h : undefined;
}

export function requesterText(r: RequestView['requester']): string {
  const who = r.host !== undefined && r.host !== '' ? `${r.user}@${r.host}` : r.user;
  return r.agent !== undefined && r.agent !== '' ? `${r.agent} · ${who}` : who;
}

export function quorumText(view: RequestView): string {
  return `${view.approvals.length}/${Math.max(1, view.quorum)}`;
}

/** The code points of a string (a wide CJK glyph is one code point and two columns: `charWidth`). */
export function chars(s: string): string[] {
  return Array.from(s);
}

/** Whitespace (newlines, tabs) collapsed to single spaces, invisible characters made visible. */
export function oneLine(s: string): string {
  return visibleText(s.replace(/[\t\n ]+/g, ' ').trim());
}

/** How many leading code points of `cs` fit in `columns` terminal columns. */
function fitting(cs: string[], columns: number): number {
  let used = 0;
  let n = 0;
  for (const ch of cs) {
    used += charWidth(ch);
    if (used > columns) break;
    n++;
  }
  return n;
}

/** Cut to `width` columns with an ellipsis, padded to exactly `width`; for one-line summaries only (the detail never cuts). */
export function fit(s: string, width: number): string {
  if (width <= 0) return '';
  const w = displayWidth(s);
  if (w <= width) return s + ' '.repeat(width - w);
  const cut = chars(s)
    .slice(0, fitting(chars(s), width - 1))
    .join('');
  return `${cut}…${' '.repeat(Math.max(0, width - 1 - displayWidth(cut)))}`;
}

const REDACTED = /\[redacted(?::[^\]]*)?\]/g;

/** Split a (redacted) command into plain and `[redacted:…]` segments, the latter highlighted. */
export function redactionSegments(s: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const m of s.matchAll(REDACTED)) {
    if (m.index > last) out.push({ text: s.slice(last, m.index) });
    out.push({ text: m[0], style: 'redacted' });
    last = m.index + m[0].length;
  }
  if (last < s.length) out.push({ text: s.slice(last) });
  return out;
}

/** A command's segments: redactions marked (toned down), destructive words highlighted. */
export function commandSegments(s: string): Segment[] {
  return redactionSegments(s).flatMap((seg) => {
    if (seg.style !== undefined) return [seg];
    const out: Segment[] = [];
    let last = 0;
    for (const [from, to] of dangerRanges(seg.text)) {
      if (from > last) out.push({ text: seg.text.slice(last, from) });
      out.push({ text: seg.text.slice(from, to), style: 'match' });
      last = to;
    }
    if (last < seg.text.length) out.push({ text: seg.text.slice(last) });
    return out;
  });
}

/**
 * Hard-wrap styled segments to `width` columns. Explicit newlines start new lines; long words are
 * broken (a command must be shown whole, never cut). `indent` prefixes continuation lines.
 */
export function wrapSegments(segments: Segment[], width: number, indent = ''): Line[] {
  const w = Math.max(1, width);
  const indentWidth = displayWidth(indent);
  const lines: Line[] = [];
  let line: Line = [];
  let used = 0;
  const pushLine = () => {
    lines.push(line);
    line = indent === '' ? [] : [{ text: indent }];
    used = indentWidth;
  };
  for (const seg of segments) {
    const parts = visibleText(seg.text.replace(/\t/g, '  ')).split('\n');
    parts.forEach((part, i) => {
      if (i > 0) pushLine();
      let rest = chars(part);
      while (rest.length > 0) {
        const room = w - used;
        let take = fitting(rest, room);
        if (take === 0) {
          // not even the next character fits (a wide one at the end of a line): a new line, or,
          // on a line with nothing else on it, that character alone (a line cannot be narrower)
          if (used > indentWidth || room <= 0) {
            pushLine();
            continue;
          }
          take = 1;
        }
        if (take < rest.length) {
          // greedy word wrap: break after the last space that fits; a word that does not fit
          // starts a new line; only a word longer than a whole line is broken
          const space = rest.slice(0, take).lastIndexOf(' ');
          if (space >= 0) take = space + 1;
          else {
            const next = rest.indexOf(' ');
            const word = displayWidth(rest.slice(0, next === -1 ? rest.length : next).join(''));
            if (used > indentWidth && word <= w - indentWidth) {
              pushLine();
              continue;
            }
          }
        }
        const text = rest.slice(0, take).join('');
        line.push({ text, style: seg.style });
        used += displayWidth(text);
        rest = rest.slice(take);
      }
    });
  }
  if (line.length > 0 || lines.length === 0) lines.push(line);
  return lines;
}

/** The plain text of a line (tests, widths). */
export function lineText(line: Line): string {
  return line.map((s) => s.text).join('');
}

/**
 * The verifier's fast path for one record (decision 0217): a single scan over the bytes that
 * accepts a record only when it is certainly what the full check accepts, without building any
 * JavaScript value. Anything it is not sure about (a fraction or exponent, a \u escape other than
 * a control character, a non-ASCII or escaped key, nesting deeper than 32, an error of any kind)
 * returns undefined and the caller runs the full check, which names the problem.
 *
 * Accepted means: valid UTF-8; the bytes are exactly
 *   {"payload":P,"prev":"<prev>","seq":<seq>,"ts":"<ts>","type":"<type>"}
 * with the expected prev and seq, ts in the ledger's form, type a known record type, and P in
 * RFC 8785 form: no whitespace, object keys in strictly increasing order (ASCII keys: byte order
 * is UTF-16 order, and strictly increasing means no duplicates), strings escaped exactly as
 * ECMAScript's JSON.stringify does (short escapes, \u00xx lowercase for other control
 * characters, everything else raw), integers of at most 15 digits without a leading zero or -0.
 */
import { isUtf8 } from 'node:buffer';
import { RECORD_TYPES } from './record.js';

const MAX_DEPTH = 32;
const HEAD = '{"payload":';

/** The record's type when the fast path accepts the bytes as record `seq` after `prev`; else undefined. */
export function scanRecord(b: Buffer, seq: number, prev: string): string | undefined {
  const end = b.length;
  if (end < HEAD.length + 2 || !startsWith(b, 0, HEAD) || !isUtf8(b)) return undefined;
  let i = value(b, HEAD.length, end, 0);
  if (i < 0) return undefined;
  if (!startsWith(b, i, ',"prev":"') || !startsWith(b, i + 9, prev)) return undefined;
  i += 9 + prev.length;
  if (!startsWith(b, i, '","seq":')) return undefined;
  i += 8;
  // seq: its decimal digits, no leading zero
  if (b[i] === 0x30) return undefined;
  let n = 0;
  const s = i;
  while (digit(b[i]) && i - s < 16) n = n * 10 + (b[i++]! - 0x30);
  if (n !== seq || !startsWith(b, i, ',"ts":"')) return undefined;
  i += 7;
  if (i + 24 > end || !isTs(b, i)) return undefined;
  i += 24;
  if (!startsWith(b, i, '","type":"')) return undefined;
  i += 10;
  const t = i;
  while (i < end && ((b[i]! >= 0x61 && b[i]! <= 0x7a) || b[i] === 0x5f)) i++;
  if (i !== end - 2 || b[i] !== 0x22 || b[i + 1] !== 0x7d) return undefined;
  const type = b.toString('latin1', t, i);
  return RECORD_TYPES.has(type) ? type : undefined;
}

function startsWith(b: Buffer, at: number, s: string): boolean {
  if (at + s.length > b.length) return false;
  for (let k = 0; k < s.length; k++) if (b[at + k] !== s.charCodeAt(k)) return false;
  return true;
}

const digit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;

/** YYYY-MM-DDTHH:MM:SS.mmmZ (the same shape the full check's pattern requires). */
function isTs(b: Buffer, i: number): boolean {
  for (let k = 0; k < 24; k++) {
    const c = b[i + k];
    const want = k === 4 || k === 7 ? 0x2d : k === 10 ? 0x54 : k === 13 || k === 16 ? 0x3a : k === 19 ? 0x2e : -1;
    if (k === 23) return c === 0x5a;
    if (want === -1 ? !digit(c) : c !== want) return false;
  }
  return false;
}

/** End of the canonical JSON value at `i`, or -1 when not certainly canonical. */
function value(b: Buffer, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i]!;
  if (c === 0x22) return string(b, i, end);
  if (c === 0x7b) return object(b, i + 1, end, depth);
  if (c === 0x5b) {
    if (depth >= MAX_DEPTH) return -1;
    i++;
    if (b[i] === 0x5d) return i + 1;
    for (;;) {
      i = value(b, i, end, depth + 1);
      if (i < 0) return -1;
      if (b[i] === 0x5d) return i + 1;
      if (b[i] !== 0x2c) return -1;
      i++;
    }
  }
  if (c === 0x74) return startsWith(b, i, 'true') ? i + 4 : -1;
  if (c === 0x66) return startsWith(b, i, 'false') ? i + 5 : -1;
  if (c === 0x6e) return startsWith(b, i, 'null') ? i + 4 : -1;
  // integers: -?(0|[1-9][0-9]{0,14}), exactly what Number::toString gives back
  let j = c === 0x2d ? i + 1 : i;
  const first = b[j];
  if (first === 0x30) {
    if (j !== i) return -1; // -0 serializes as 0
    j++;
  } else if (first !== undefined && first >= 0x31 && first <= 0x39) {
    const s = j;
    while (j < end && digit(b[j])) j++;
    if (j - s > 15) return -1;
  } else return -1;
  const next = b[j];
  return next === 0x2e || next === 0x65 || next === 0x45 || digit(next) ? -1 : j;
}

function object(b: Buffer, i: number, end: number, depth: number): number {
  if (depth >= MAX_DEPTH) return -1;
  if (b[i] === 0x7d) return i + 1;
  let prevStart = -1;
  let prevEnd = -1;
  for (;;) {
    if (b[i] !== 0x22) return -1;
    const ks = i + 1;
    let ke = ks;
    for (; ke < end; ke++) {
      const k = b[ke]!;
      if (k === 0x22) break;
      if (k < 0x20 || k === 0x5c || k >= 0x80) return -1; // escaped or non-ASCII keys: full check
    }
    if (ke >= end) return -1;
    if (prevStart >= 0 && !less(b, prevStart, prevEnd, ks, ke)) return -1;
    prevStart = ks;
    prevEnd = ke;
    if (b[ke + 1] !== 0x3a) return -1;
    i = value(b, ke + 2, end, depth + 1);
    if (i < 0) return -1;
    if (b[i] === 0x7d) return i + 1;
    if (b[i] !== 0x2c) return -1;
    i++;
  }
}

/** Is b[a..ae) strictly less than b[x..xe) (bytewise; a proper prefix is less)? */
function less(b: Buffer, a: number, ae: number, x: number, xe: number): boolean {
  for (;;) {
    if (x === xe) return false;
    if (a === ae) return true;
    if (b[a] !== b[x]) return b[a]! < b[x]!;
    a++;
    x++;
  }
}

function string(b: Buffer, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = b[i]!;
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c !== 0x5c) continue;
    const e = b[++i];
    // \" \\ \b \f \n \r \t
    if (e === 0x22 || e === 0x5c || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) continue;
    // \u00xx only for control characters without a short escape, lowercase hex
    if (e !== 0x75 || b[i + 1] !== 0x30 || b[i + 2] !== 0x30) return -1;
    const h = b[i + 3];
    const l = b[i + 4];
    if (l === undefined || !(digit(l) || (l >= 0x61 && l <= 0x66))) return -1;
    if (h === 0x30) {
      if (l === 0x38 || l === 0x39 || l === 0x61 || l === 0x63 || l === 0x64) return -1;
    } else if (h !== 0x31) return -1;
    i += 4;
  }
  return -1;
}

/**
 * Styles for segments. With NO_COLOR (https://no-color.org) no colour is used at all: risk and
 * state are always also spelled out in text, and redactions keep their `[redacted:…]` brackets.
 */
import type { SegmentStyle } from './format.js';

export interface TextStyle {
  color?: string;
  backgroundColor?: string;
  bold?: boolean;
  dimColor?: boolean;
  inverse?: boolean;
  underline?: boolean;
}

export interface Theme {
  color: boolean;
  style(s: SegmentStyle | undefined): TextStyle;
}

const COLOURED: Record<SegmentStyle, TextStyle> = {
  label: { bold: true },
  dim: { dimColor: true },
  bold: { bold: true },
  // a redaction is context, not the danger: toned down; the destructive words stand out
  redacted: { dimColor: true, underline: true },
  match: { color: 'red', bold: true, underline: true },
  'risk-low': { color: 'green', bold: true },
  'risk-medium': { color: 'yellow', bold: true },
  'risk-high': { color: 'red', bold: true },
  'risk-critical': { color: 'white', backgroundColor: 'red', bold: true },
  warn: { color: 'yellow', bold: true },
  ok: { color: 'green' },
};

/** Without colour: emphasis only (bold / underline), which NO_COLOR permits. */
const PLAIN: Record<SegmentStyle, TextStyle> = {
  label: { bold: true },
  dim: {},
  bold: { bold: true },
  redacted: {},
  match: { bold: true, underline: true },
  'risk-low': {},
  'risk-medium': {},
  'risk-high': { bold: true },
  'risk-critical': { bold: true },
  warn: { bold: true },
  ok: {},
};

export function makeTheme(color: boolean): Theme {
  const table = color ? COLOURED : PLAIN;
  return { color, style: (s) => (s === undefined ? {} : table[s]) };
}

/** NO_COLOR set to any non-empty value disables colour (FORCE_COLOR does not override it). */
export function colorEnabled(env: NodeJS.ProcessEnv): boolean {
  const v = env['NO_COLOR'];
  return v === undefined || v === '';
}

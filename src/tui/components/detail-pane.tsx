import { Box } from 'ink';
import type { Line } from '../format.js';
import type { Theme } from '../theme.js';
import { Lines } from './lines.js';

/**
 * A window on the detail lines. When they do not fit, the last row says where we are and how to
 * see the rest, so nothing is silently hidden.
 */
export function detailWindow(lines: Line[], height: number, scroll: number, moreHint: string): Line[] {
  if (height <= 0) return [];
  if (lines.length <= height) return lines;
  const max = Math.max(0, lines.length - (height - 1));
  const from = Math.min(Math.max(0, scroll), max);
  const body = lines.slice(from, from + height - 1);
  const to = from + body.length;
  const where = `── lines ${from + 1}-${to} of ${lines.length}${to < lines.length ? ` · ${moreHint}` : ''} ──`;
  return [...body, [{ text: where, style: 'dim' }]];
}

/** Scroll positions the detail pane accepts (the last one shows the final line). */
export function detailMaxScroll(total: number, height: number): number {
  return total <= height ? 0 : total - (height - 1);
}

export function DetailPane(props: {
  lines: Line[];
  width: number;
  height: number;
  scroll: number;
  theme: Theme;
  moreHint: string;
}) {
  const shown = detailWindow(props.lines, props.height, props.scroll, props.moreHint);
  return (
    <Box width={props.width} height={props.height} flexShrink={0} flexDirection="column">
      <Lines lines={shown} theme={props.theme} width={props.width} />
    </Box>
  );
}

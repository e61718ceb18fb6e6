import { Box, Text } from 'ink';
import type { HistoryItem } from '../model.js';
import { fit, oneLine, type Line } from '../format.js';
import type { Theme } from '../theme.js';
import { Lines } from './lines.js';

const TYPE_STYLE: Record<string, 'ok' | 'warn' | undefined> = {
  approval: 'ok',
  denial: 'warn',
  decision: 'ok',
  exec_end: 'ok',
  approval_refused: 'warn',
  expired: 'warn',
  grant_revoked: 'warn',
};

/** One history item per row: time, record type, request, who, what. */
export function historyLine(item: HistoryItem, width: number): Line {
  // "11-22 08:19:45" (UTC): the year costs columns the summary needs at 80 wide
  const time = item.ts.slice(5, 19).replace('T', ' ');
  const who = fit(item.who ?? '-', 10);
  const fixed = 14 + 1 + 16 + 1 + 15 + 1 + 10 + 1;
  return [
    { text: `${time.padEnd(14)} `, style: 'dim' },
    { text: fit(item.type, 16), style: TYPE_STYLE[item.type] },
    { text: ` ${fit(item.requestId ?? '-', 15)} ${who} ` },
    { text: fit(oneLine(item.summary), Math.max(1, width - fixed)).trimEnd() },
  ];
}

export function HistoryView(props: {
  status: 'idle' | 'loading' | 'ready' | 'error';
  items: HistoryItem[];
  error: string | undefined;
  scroll: number;
  width: number;
  height: number;
  theme: Theme;
}) {
  const { width, height, theme } = props;
  const head: Line = [
    {
      text: fit(
        `${'TIME (UTC)'.padEnd(15)}${'RECORD'.padEnd(17)}${'REQUEST'.padEnd(16)}${'WHO'.padEnd(11)}WHAT`,
        width,
      ).trimEnd(),
      style: 'dim',
    },
  ];
  let body: Line[];
  if (props.status === 'loading' && props.items.length === 0)
    body = [[{ text: 'loading decisions from the ledger…', style: 'dim' }]];
  else if (props.status === 'error')
    body = [[{ text: `cannot read the history: ${props.error ?? 'unknown error'}`, style: 'warn' }]];
  else if (props.items.length === 0) body = [[{ text: 'no decisions recorded yet', style: 'dim' }]];
  else body = props.items.slice(props.scroll, props.scroll + height - 1).map((i) => historyLine(i, width));
  return (
    <Box width={width} height={height} flexShrink={0} flexDirection="column">
      <Lines lines={[head, ...body]} theme={theme} width={width} />
      {props.status === 'loading' && props.items.length > 0 ? <Text dimColor={theme.color}>refreshing…</Text> : null}
    </Box>
  );
}

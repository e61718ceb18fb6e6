import { Box, Text } from 'ink';
import type { HistoryItem, RecordView } from '../model.js';
import { commandSegments, fit, oneLine, wrapSegments, type Line } from '../format.js';
import { windowStart } from '../layout.js';
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

/** Each history item takes two rows: the record, then its request's command. */
export const HISTORY_ROWS = 2;

function time(item: HistoryItem): string {
  // "11-22 08:19:45" (UTC): the year costs columns the summary needs at 80 wide
  return item.ts.slice(5, 19).replace('T', ' ');
}

/** One history item's first row: marker, time, record type, request, who, what. */
export function historyLine(item: HistoryItem, width: number, selected = false): Line {
  const who = fit(item.who ?? '-', 10);
  const fixed = 2 + 14 + 1 + 16 + 1 + 15 + 1 + 10 + 1;
  return [
    { text: selected ? '› ' : '  ', style: selected ? 'bold' : undefined },
    { text: `${time(item).padEnd(14)} `, style: 'dim' },
    { text: fit(item.type, 16), style: TYPE_STYLE[item.type] },
    { text: ` ${fit(item.requestId ?? '-', 15)} ${who} ` },
    { text: fit(oneLine(item.summary), Math.max(1, width - fixed)).trimEnd() },
  ];
}

/** The second row: the command in its recorded display form, on one line, invisible characters made visible. */
export function historyCommandLine(item: HistoryItem, width: number): Line {
  const text = item.command === undefined ? '(command not in the ledger)' : oneLine(item.command);
  return [{ text: `    $ ${fit(text, Math.max(1, width - 6)).trimEnd()}`, style: 'dim' }];
}

export function HistoryView(props: {
  status: 'idle' | 'loading' | 'ready' | 'error';
  items: HistoryItem[];
  error: string | undefined;
  /** The selected item. */
  scroll: number;
  width: number;
  height: number;
  theme: Theme;
}) {
  const { width, height, theme } = props;
  const head: Line = [
    {
      text: fit(
        `  ${'TIME (UTC)'.padEnd(15)}${'RECORD'.padEnd(17)}${'REQUEST'.padEnd(16)}${'WHO'.padEnd(11)}WHAT`,
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
  else {
    const rows = Math.max(1, Math.floor((height - 1) / HISTORY_ROWS));
    const start = windowStart(props.scroll, props.items.length, rows);
    body = props.items
      .slice(start, start + rows)
      .flatMap((item, i) => [historyLine(item, width, start + i === props.scroll), historyCommandLine(item, width)]);
  }
  return (
    <Box width={width} height={height} flexShrink={0} flexDirection="column">
      <Lines lines={[head, ...body]} theme={theme} width={width} />
      {props.status === 'loading' && props.items.length > 0 ? <Text dimColor={theme.color}>refreshing…</Text> : null}
    </Box>
  );
}

/** An opened history record: the request's command in full, then every record of the request, oldest first. */
export function recordLines(record: RecordView, width: number): Line[] {
  const out: Line[] = [
    [{ text: `${record.requestId} · every ledger record of this request (read-only)`, style: 'bold' }],
  ];
  if (record.status === 'loading') return [...out, [{ text: 'loading the records…', style: 'dim' }]];
  if (record.status === 'error')
    return [...out, [{ text: `cannot read the records: ${record.error ?? 'unknown error'}`, style: 'warn' }]];
  const command = record.items.find((i) => i.command !== undefined)?.command;
  out.push([]);
  out.push([{ text: 'Command', style: 'label' }]);
  out.push(
    ...(command === undefined
      ? [[{ text: '  (no request record in the ledger)', style: 'dim' as const }]]
      : wrapSegments([{ text: '  ' }, ...commandSegments(command)], width, '  ')),
  );
  out.push([]);
  out.push([{ text: 'Records', style: 'label' }]);
  for (const item of record.items) {
    const who = item.who === undefined ? '' : ` ${item.who}`;
    out.push(
      ...wrapSegments(
        [
          { text: `  ${time(item)} `, style: 'dim' },
          { text: item.type.padEnd(10), style: TYPE_STYLE[item.type] ?? 'bold' },
          { text: `${who}${item.summary === '' ? '' : ` ${item.summary}`}` },
        ],
        width,
        '      ',
      ),
    );
  }
  if (record.items.length === 0) out.push([{ text: '  no records', style: 'dim' }]);
  return out;
}

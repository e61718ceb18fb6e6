import { Box, Text } from 'ink';
import type { Entry } from '../model.js';
import { age, fit, oneLine, quorumText, requesterText, riskLabel, riskStyle, timeLeft, type Line } from '../format.js';
import { windowStart } from '../layout.js';
import { isOpenState } from '../select.js';
import type { Theme } from '../theme.js';

const STATE_SHORT: Record<string, string> = {
  needs_info: 'INFO',
  approved: 'APPR',
  denied: 'DENY',
  expired: 'EXP',
  cancelled: 'CANC',
  revoked: 'REVK',
};

function requesterWidth(width: number): number {
  return Math.max(10, Math.min(28, Math.floor(width * 0.22)));
}

/** Column headings, aligned with rowLine. */
export function headLine(width: number): Line {
  const rw = requesterWidth(width);
  const text = `  ${'RISK'.padEnd(5)}${'AGE'.padEnd(6)}${'LEFT'.padEnd(6)}${'OK'.padEnd(5)}${'REQUESTER'.padEnd(rw + 1)}COMMAND`;
  return [{ text: fit(text, width).trimEnd(), style: 'dim' }];
}

/** One request as one row: risk, age, time left (or final state), approvals k/N, requester, command. */
export function rowLine(e: Entry, opts: { width: number; now: number; selected: boolean }): Line {
  const v = e.view;
  const open = isOpenState(v.state) && e.live;
  const left =
    v.state === 'pending' ? timeLeft(v, opts.now) : (STATE_SHORT[v.state] ?? v.state.slice(0, 4).toUpperCase());
  const leftText = `${e.live ? '' : '~'}${left === 'expired' ? 'EXP' : left}`;
  const rw = requesterWidth(opts.width);
  const fixed = 2 + 5 + 6 + 6 + 5 + rw + 1;
  const line: Line = [
    { text: opts.selected ? '› ' : '  ', style: opts.selected ? 'bold' : undefined },
    { text: riskLabel(v.risk).padEnd(4), style: open ? riskStyle(v.risk) : 'dim' },
    { text: ' ' },
    {
      text: `${age(v, opts.now).padEnd(5)} ${leftText.padEnd(5)} ${quorumText(v).padEnd(4)} `,
      style: open ? undefined : 'dim',
    },
    { text: `${fit(requesterText(v.requester), rw)} `, style: open ? undefined : 'dim' },
    { text: fit(oneLine(v.command), Math.max(1, opts.width - fixed)).trimEnd(), style: open ? undefined : 'dim' },
  ];
  return line;
}

export function RequestList(props: {
  entries: Entry[];
  selectedId: string | undefined;
  width: number;
  height: number;
  now: number;
  theme: Theme;
  filter: string;
  connected: boolean;
}) {
  const { entries, width, height, theme } = props;
  if (entries.length === 0) {
    const text = !props.connected
      ? 'Not connected to the daemon: no requests to show yet.'
      : props.filter === ''
        ? 'No requests waiting for approval.'
        : `No request matches the filter "${props.filter}" (Esc clears it).`;
    return (
      <Box width={width} height={height} flexShrink={0}>
        <Text dimColor={theme.color}>{fit(text, width).trimEnd()}</Text>
      </Box>
    );
  }
  const rows = Math.max(1, height - 1);
  const selected = entries.findIndex((e) => e.view.id === props.selectedId);
  const start = windowStart(selected, entries.length, rows);
  const shown = entries.slice(start, start + rows);
  const lines: Line[] = [
    headLine(width),
    ...shown.map((e) => rowLine(e, { width, now: props.now, selected: e.view.id === props.selectedId })),
  ];
  const selectedLine = selected - start + 1;
  return (
    <Box flexDirection="column" width={width} height={height} flexShrink={0}>
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate-end" inverse={theme.color && i === selectedLine}>
          {line.map((s, j) => (
            <Text key={j} {...theme.style(s.style)}>
              {s.text}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}

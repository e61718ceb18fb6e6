import { Box, Text } from 'ink';
import type { Entry, GrantInfo } from '../model.js';
import { middleEllipsis, whereOf } from '../../channels/summary.js';
import {
  age,
  fit,
  oneLine,
  quorumText,
  requesterText,
  fleetHostOf,
  riskLabel,
  riskStyle,
  shortDuration,
  timeLeft,
  type Line,
  type SegmentStyle,
} from '../format.js';
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

/** Columns shown at a width: the command always gets the most room; optional columns only when it keeps 40. */
export function listColumns(width: number): { age: boolean; ok: boolean; requester: number; where: number } {
  const where = Math.max(8, Math.min(24, Math.floor(width * 0.16)));
  const base = 2 + 5 + 6 + where + 1;
  let command = width - base;
  const ok = command - 5 >= 40;
  if (ok) command -= 5;
  const age = command - 6 >= 48;
  if (age) command -= 6;
  const rw = Math.max(10, Math.min(24, Math.floor(width * 0.14)));
  const requester = command - (rw + 1) >= 56 ? rw : 0;
  return { age, ok, requester, where };
}

/** Column headings, aligned with rowLine. */
export function headLine(width: number): Line {
  const c = listColumns(width);
  const text = `  ${'RISK'.padEnd(5)}${c.age ? 'AGE'.padEnd(6) : ''}${'LEFT'.padEnd(6)}${c.ok ? 'OK'.padEnd(5) : ''}${'WHERE'.padEnd(c.where + 1)}${c.requester > 0 ? 'REQUESTER'.padEnd(c.requester + 1) : ''}COMMAND`;
  return [{ text: fit(text, width).trimEnd(), style: 'dim' }];
}

/**
 * One request as one row: risk, [age], time left (or final state), [k/N], where, [requester], command.
 * A live grant (decision 1100) is not dimmed: its time left, and "grant N×" (uses left) before the command.
 */
export function rowLine(
  e: Entry,
  opts: { width: number; now: number; selected: boolean; grant?: GrantInfo | undefined },
): Line {
  const v = e.view;
  const g = opts.grant;
  const open = (isOpenState(v.state) && e.live) || g !== undefined;
  const left =
    g !== undefined
      ? shortDuration(Date.parse(g.expiresAt) - opts.now)
      : v.state === 'pending'
        ? timeLeft(v, opts.now)
        : (STATE_SHORT[v.state] ?? v.state.slice(0, 4).toUpperCase());
  const leftText = `${e.live ? '' : '~'}${left === 'expired' ? 'EXP' : left}`;
  const c = listColumns(opts.width);
  const fixed = 2 + 5 + (c.age ? 6 : 0) + 6 + (c.ok ? 5 : 0) + c.where + 1 + (c.requester > 0 ? c.requester + 1 : 0);
  const muted: SegmentStyle | undefined = open ? undefined : 'dim';
  const mark = g === undefined ? '' : `grant ${g.usesLeft}× `;
  const where = oneLine(whereOf(v));
  // a fleet request (guard tui --hub) names its host first, in full; the place is shortened instead
  const host = fleetHostOf(v);
  const hostText = host === undefined ? '' : `[${oneLine(host)}] `;
  const line: Line = [
    { text: opts.selected ? '› ' : '  ', style: opts.selected ? 'bold' : undefined },
    { text: riskLabel(v.risk).padEnd(4), style: open ? riskStyle(v.risk) : 'dim' },
    { text: ' ' },
    {
      text: `${c.age ? `${age(v, opts.now).padEnd(5)} ` : ''}${leftText.padEnd(5)} ${c.ok ? `${quorumText(v).padEnd(4)} ` : ''}`,
      style: muted,
    },
    {
      text: `${fit(hostText + middleEllipsis(where === '' ? '-' : where, Math.max(1, c.where - hostText.length)), c.where)} `,
      style: open ? 'bold' : 'dim',
    },
    ...(c.requester > 0 ? [{ text: `${fit(requesterText(v.requester), c.requester)} `, style: muted }] : []),
    ...(g === undefined ? [] : [{ text: mark, style: 'ok' as const }]),
    { text: middleEllipsis(oneLine(v.command), Math.max(1, opts.width - fixed - mark.length)), style: muted },
  ];
  return line;
}

export function RequestList(props: {
  entries: Entry[];
  /** The live grant of an entry, if it has one. */
  grantOf: (e: Entry) => GrantInfo | undefined;
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
    ...shown.map((e) =>
      rowLine(e, { width, now: props.now, selected: e.view.id === props.selectedId, grant: props.grantOf(e) }),
    ),
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

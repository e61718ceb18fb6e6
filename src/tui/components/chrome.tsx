/** The header, the message / prompt line and the key footer. */
import { Box, Text } from 'ink';
import { footerHints } from '../keys.js';
import type { ConnectionState, Flash, Mode } from '../model.js';
import { fit, longDuration } from '../format.js';
import type { Theme } from '../theme.js';

export function headerText(opts: {
  approver: string;
  unlockedUntil: number | undefined;
  now: number;
  connection: ConnectionState;
  open: number;
  /** Live grants listed (shown when any). */
  grants?: number | undefined;
  mode: Mode;
  filter?: string;
}): { left: string; right: string; down: boolean } {
  const lock =
    opts.unlockedUntil !== undefined && opts.unlockedUntil > opts.now
      ? `key unlocked ${longDuration(opts.unlockedUntil - opts.now)}`
      : 'key locked';
  const c = opts.connection;
  const daemon =
    c.status === 'live'
      ? `${opts.filter ? `filter "${opts.filter}" · ` : ''}${opts.open} open${opts.grants ? ` · ${opts.grants} live grant${opts.grants === 1 ? '' : 's'}` : ''}`
      : c.status === 'connecting'
        ? 'connecting to daemon…'
        : `DAEMON DOWN · retry in ${longDuration(Math.max(0, c.retryAt - opts.now))}`;
  const title =
    opts.mode === 'history'
      ? 'guard · history'
      : opts.mode === 'record'
        ? 'guard · history record'
        : 'guard · requests';
  return { left: `${title} · ${opts.approver} · ${lock}`, right: daemon, down: c.status !== 'live' };
}

export function Header(props: { text: { left: string; right: string; down: boolean }; width: number; theme: Theme }) {
  const { left, right, down } = props.text;
  const room = Math.max(0, props.width - right.length - 1);
  return (
    <Box width={props.width} flexShrink={0}>
      <Text wrap="truncate-end">
        <Text bold>{fit(left, room)}</Text> <Text {...props.theme.style(down ? 'warn' : 'ok')}>{right}</Text>
      </Text>
    </Box>
  );
}

export interface PromptSpec {
  label: string;
  value: string;
}

/** The line under the body: a prompt while typing, else the flash message or connection warning. */
export function MessageLine(props: {
  prompt: PromptSpec | undefined;
  flash: Flash | undefined;
  warning: string | undefined;
  width: number;
  theme: Theme;
}) {
  const { prompt, flash, warning, width, theme } = props;
  if (prompt !== undefined) {
    // keep the end of long input visible
    const room = Math.max(1, width - prompt.label.length - 1);
    const chars = Array.from(prompt.value);
    const shown = chars.length >= room ? `…${chars.slice(chars.length - room + 2).join('')}` : prompt.value;
    return (
      <Box width={width} flexShrink={0}>
        <Text wrap="truncate-end">
          <Text bold>{prompt.label}</Text>
          {shown}
          <Text inverse> </Text>
        </Text>
      </Box>
    );
  }
  const msg = flash ?? (warning === undefined ? undefined : { level: 'error' as const, text: warning });
  return (
    <Box width={width} flexShrink={0}>
      <Text wrap="truncate-end" {...theme.style(msg?.level === 'error' ? 'warn' : 'ok')}>
        {msg === undefined ? ' ' : msg.text}
      </Text>
    </Box>
  );
}

/** The footer: every key that works in this mode, from the bindings table (keys.ts). */
export function Footer(props: {
  mode: Mode;
  actionable: boolean;
  /** The selection has a live grant that can be extended or revoked now. */
  grantActionable?: boolean | undefined;
  /** The selection names an agent session (its batch can be opened). */
  sessionSelected?: boolean | undefined;
  filterActive: boolean;
  width: number;
  theme: Theme;
  notice?: Flash | undefined;
}) {
  const hints = footerHints(
    props.mode,
    props.actionable,
    props.filterActive,
    props.grantActionable,
    props.sessionSelected,
  );
  if (props.notice !== undefined) {
    // While a prompt holds the message line, a message takes the footer's first line.
    return (
      <Box width={props.width} height={2} flexShrink={0} flexDirection="column">
        <Text wrap="truncate-end" {...props.theme.style(props.notice.level === 'error' ? 'warn' : 'ok')}>
          {props.notice.text}
        </Text>
        <Text wrap="truncate-end">{hints.map((h) => `${h.keys} ${h.label}`).join('  ')}</Text>
      </Box>
    );
  }
  return (
    <Box width={props.width} height={2} flexShrink={0} flexWrap="wrap" columnGap={2} overflow="hidden">
      {hints.map((h) => {
        // unavailable keys: dimmed in colour, in parentheses without it
        const marked = !props.theme.color && !h.enabled;
        return (
          <Text key={`${h.keys}-${h.label}`} wrap="truncate-end" dimColor={props.theme.color && !h.enabled}>
            {marked ? '(' : ''}
            <Text bold={h.enabled}>{h.keys}</Text> {h.label}
            {marked ? ')' : ''}
          </Text>
        );
      })}
    </Box>
  );
}

/**
 * The whole screen as a pure function of the state and the terminal size: what the frame tests
 * render, and what the app renders.
 */
import { Box, Text } from 'ink';
import type { TuiState } from '../model.js';
import { computeLayout, type Layout } from '../layout.js';
import { detailLines } from '../detail.js';
import { blockedReason, isOpenState, selectedEntry, visibleEntries } from '../select.js';
import type { Theme } from '../theme.js';
import { DetailPane, detailMaxScroll } from './detail-pane.js';
import { Footer, Header, headerText, MessageLine, type PromptSpec } from './chrome.js';
import { HISTORY_ROWS, HistoryView, recordLines } from './history-view.js';
import { RequestList } from './request-list.js';
import { extendLines, scopeLines } from './scope-menu.js';
import { grantBlockedReason, grantText, liveGrant, usesText } from '../grants.js';
import { longDuration } from '../format.js';
import { targetOf } from '../transitions.js';
import type { Line } from '../format.js';
import type { Viewport } from '../reducer.js';
import { batchIntent, batchLines } from '../batch.js';

function windowLabel(ms: number): string {
  if (ms <= 0) return 'this decision only';
  const m = Math.round(ms / 60_000);
  return m >= 1 ? `${m}m` : `${Math.round(ms / 1000)}s`;
}

/** "all 5 requests of session S": what a batch prompt is about. */
function batchTarget(state: TuiState): string | undefined {
  if (state.returnMode !== 'batch' || state.batch === undefined) return undefined;
  const p = state.pending;
  const n = p?.action === 'batch' ? p.ids.length : undefined;
  return `${n === undefined ? 'all open' : `all ${n}`} requests of session ${state.batch.session}`;
}

export function promptFor(state: TuiState): PromptSpec | undefined {
  const id = batchTarget(state) ?? targetOf(state);
  switch (state.mode) {
    case 'extend':
      return {
        label:
          state.extending?.choices === undefined
            ? `Extend the grant of ${id ?? ''} — reading its bounds from the daemon… `
            : `Extend the grant of ${id ?? ''} — press 1–${state.extending.choices.length} to choose what you sign: `,
        value: '',
      };
    case 'revoke': {
      const g = liveGrant(state, id === undefined ? undefined : state.requests[id]);
      return {
        label: `Revoke the grant of ${id ?? ''}${g === undefined ? '' : ` (${grantText(g)})`}? y revokes, n keeps it: `,
        value: '',
      };
    }
    case 'filter':
      return { label: 'Filter: ', value: state.input };
    case 'deny-reason':
      return { label: `Deny ${id ?? ''} — reason (required): `, value: state.input };
    case 'ask':
      return { label: `Ask about ${id ?? ''} — question: `, value: state.input };
    case 'scope':
      return {
        label: `Approve ${id ?? ''} — press 1–${state.choices?.length ?? 1} to choose the grant you sign: `,
        value: '',
      };
    case 'passphrase':
      return {
        label: `Passphrase of ${state.approver} to ${(state.pending?.action === 'batch' ? state.pending.decision : state.pending?.action) ?? 'sign'} ${id ?? ''} (unlocks for ${windowLabel(state.unlockWindowMs)}): `,
        // typed or not, never how many characters
        value: state.secretLength === 0 ? '' : '(hidden)',
      };
    default:
      return undefined;
  }
}

/** Layout plus the selected request's detail lines: the app needs both for scroll limits. */
export function screenModel(state: TuiState, columns: number, rows: number) {
  const layout = computeLayout(columns, rows, state.mode, state.returnMode);
  const entry = selectedEntry(state);
  const grant = liveGrant(state, entry);
  const banner =
    entry === undefined
      ? undefined
      : grant !== undefined
        ? `GRANT LIVE — ${usesText(grant.usesLeft)} left for ${longDuration(Date.parse(grant.expiresAt) - state.now)}: e extends, R revokes`
        : blockedReason({ ...state, busy: undefined }, entry);
  const shownBatch = state.mode === 'batch' || (INPUT_OVER.has(state.mode) && state.returnMode === 'batch');
  const lines: Line[] = shownBatch
    ? batchLines(state, layout.detailWidth)
    : state.mode === 'record' && state.record !== undefined
      ? recordLines(state.record, layout.detailWidth)
      : state.mode === 'scope'
        ? scopeLines(state, layout.detailWidth)
        : state.mode === 'extend'
          ? extendLines(state, layout.detailWidth)
          : entry === undefined || layout.detailWidth === 0
            ? []
            : detailLines(entry.view, {
                width: layout.detailWidth,
                now: state.now,
                grant,
                banner:
                  state.busy !== undefined && state.busy.requestId === entry.view.id
                    ? `sending your ${state.busy.action}…`
                    : banner,
              });
  const viewport: Viewport = {
    page:
      state.mode === 'history'
        ? Math.max(1, Math.floor((layout.body - 1) / HISTORY_ROWS) - 1)
        : Math.max(1, (layout.split || state.mode !== 'list' ? layout.body : layout.listHeight) - 2),
    detailMax: detailMaxScroll(lines.length, layout.detailHeight),
    historyMax: Math.max(0, state.history.items.length - 1),
    recordMax: state.mode === 'record' ? detailMaxScroll(lines.length, layout.detailHeight) : 0,
  };
  return { layout, entry, lines, viewport };
}

/** Modes shown over the view they were opened from. */
const INPUT_OVER: ReadonlySet<string> = new Set(['deny-reason', 'ask', 'passphrase', 'revoke']);

function Body({ state, layout, lines, theme }: { state: TuiState; layout: Layout; lines: Line[]; theme: Theme }) {
  const shown =
    state.mode === 'filter'
      ? 'list'
      : state.mode === 'deny-reason' || state.mode === 'ask' || state.mode === 'passphrase' || state.mode === 'revoke'
        ? state.returnMode
        : state.mode;
  if (shown === 'history') {
    return (
      <HistoryView
        status={state.history.status}
        items={state.history.items}
        error={state.history.error}
        scroll={state.historyScroll}
        width={layout.width}
        height={layout.body}
        theme={theme}
      />
    );
  }
  const detail = (
    <DetailPane
      lines={lines.length === 0 ? [[{ text: 'Select a request to see its details.', style: 'dim' }]] : lines}
      width={layout.detailWidth}
      height={layout.detailHeight}
      scroll={shown === 'detail' ? state.detailScroll : 0}
      theme={theme}
      moreHint={shown === 'detail' ? '↓/PgDn for more' : 'Enter to read all'}
    />
  );
  if (shown === 'record' || shown === 'scope' || shown === 'extend' || shown === 'batch')
    return (
      <DetailPane
        lines={lines}
        width={layout.detailWidth}
        height={layout.detailHeight}
        scroll={shown === 'record' ? state.recordScroll : shown === 'batch' ? state.detailScroll : 0}
        theme={theme}
        moreHint="↓/PgDn for more"
      />
    );
  if (shown === 'detail') return detail;
  const list = (
    <RequestList
      entries={visibleEntries(state)}
      grantOf={(e) => liveGrant(state, e)}
      selectedId={state.selectedId}
      width={layout.listWidth}
      height={layout.listHeight}
      now={state.now}
      theme={theme}
      filter={state.filter}
      connected={state.connection.status === 'live'}
    />
  );
  if (layout.split) {
    return (
      <Box flexDirection="row" columnGap={1} height={layout.body}>
        {list}
        {detail}
      </Box>
    );
  }
  return (
    <Box flexDirection="column" height={layout.body}>
      {list}
      <Text dimColor={theme.color}>{'─'.repeat(layout.width)}</Text>
      {detail}
    </Box>
  );
}

export function Screen({
  state,
  columns,
  rows,
  theme,
}: {
  state: TuiState;
  columns: number;
  rows: number;
  theme: Theme;
}) {
  const { layout, entry, lines } = screenModel(state, columns, rows);
  const open = Object.values(state.requests).filter((e) => e.live && isOpenState(e.view.state)).length;
  const actionable =
    state.mode === 'batch' ? !('error' in batchIntent(state, 'deny')) : blockedReason(state, entry) === undefined;
  const grantActionable = grantBlockedReason(state, entry) === undefined;
  const c = state.connection;
  const prompt = promptFor(state);
  const warning =
    c.status === 'down'
      ? `daemon unreachable (${c.message}); requests shown are NOT actionable — retrying`
      : c.status === 'connecting'
        ? 'connecting to the guard daemon…'
        : undefined;
  return (
    <Box flexDirection="column" width={layout.width} height={layout.height}>
      <Header
        text={headerText({
          approver: state.approver,
          unlockedUntil: state.unlockedUntil,
          now: state.now,
          connection: c,
          open,
          grants: Object.values(state.requests).filter((e) => e.live && liveGrant(state, e) !== undefined).length,
          mode: state.mode,
          filter: state.filter,
        })}
        width={layout.width}
        theme={theme}
      />
      <Body state={state} layout={layout} lines={lines} theme={theme} />
      <MessageLine prompt={prompt} flash={state.flash} warning={warning} width={layout.width} theme={theme} />
      <Footer
        mode={state.mode}
        actionable={actionable}
        grantActionable={grantActionable}
        sessionSelected={entry?.view.session !== undefined && entry.view.session !== ''}
        filterActive={state.filter !== ''}
        width={layout.width}
        theme={theme}
        notice={prompt === undefined ? undefined : state.flash}
      />
    </Box>
  );
}

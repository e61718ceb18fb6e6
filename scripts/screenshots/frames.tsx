/**
 * What scripts/screenshots.mjs photographs: `tui <list|detail|history>` renders the real Screen
 * for the five-second fixtures into this terminal (and waits to be captured); `slack` and `teams`
 * print the real rendered message / card as JSON.
 */
import { render } from 'ink';
import { renderMessage } from '../../src/channels/slack/blocks.js';
import { renderCard } from '../../src/channels/teams/card.js';
import { Screen } from '../../src/tui/components/screen.js';
import { initialState, type TuiState } from '../../src/tui/model.js';
import { reduce } from '../../src/tui/reducer.js';
import { makeTheme } from '../../src/tui/theme.js';
import { FIVE_SECOND, FIVE_SECOND_NOW } from '../../test/channels/five-second.js';

const views = FIVE_SECOND.map((c, i) => ({
  ...c.view,
  createdAt: new Date(FIVE_SECOND_NOW - (i + 1) * 37_000).toISOString(),
}));
const script = views[2]!;

function state(mode: 'list' | 'detail' | 'history'): TuiState {
  let s = initialState({ approver: 'bob', unlockWindowMs: 600_000, now: FIVE_SECOND_NOW });
  s = reduce(s, { type: 'connection', connection: { status: 'live' } });
  s = reduce(s, { type: 'snapshot', views });
  s = { ...s, selectedId: script.id };
  if (mode === 'detail') s = { ...s, mode: 'detail', returnMode: 'detail' };
  if (mode === 'history')
    s = {
      ...s,
      mode: 'history',
      history: {
        status: 'ready',
        items: [
          {
            seq: 9,
            ts: '2026-11-22T08:59:41Z',
            type: 'exec_end',
            requestId: views[0]!.id,
            command: views[0]!.command,
            who: undefined,
            summary: 'command exited 0',
          },
          {
            seq: 8,
            ts: '2026-11-22T08:59:40Z',
            type: 'exec_start',
            requestId: views[0]!.id,
            command: views[0]!.command,
            who: undefined,
            summary: 'command started',
          },
          {
            seq: 7,
            ts: '2026-11-22T08:59:40Z',
            type: 'decision',
            requestId: views[0]!.id,
            command: views[0]!.command,
            who: 'carol',
            summary: 'approved',
          },
          {
            seq: 6,
            ts: '2026-11-22T08:59:39Z',
            type: 'approval',
            requestId: views[0]!.id,
            command: views[0]!.command,
            who: 'carol',
            summary: 'approve via tui',
          },
          {
            seq: 5,
            ts: '2026-11-22T08:58:02Z',
            type: 'decision',
            requestId: views[1]!.id,
            command: views[1]!.command,
            who: 'bob',
            summary: 'denied — not during the freeze',
          },
          {
            seq: 4,
            ts: '2026-11-22T08:58:02Z',
            type: 'denial',
            requestId: views[1]!.id,
            command: views[1]!.command,
            who: 'bob',
            summary: 'deny via slack — not during the freeze',
          },
          {
            seq: 3,
            ts: '2026-11-22T08:51:17Z',
            type: 'question',
            requestId: views[2]!.id,
            command: views[2]!.command,
            who: 'carol',
            summary: 'ask via tui — which ticket covers the backups?',
          },
          {
            seq: 2,
            ts: '2026-11-22T08:50:00Z',
            type: 'decision',
            requestId: views[2]!.id,
            command: views[2]!.command,
            who: 'policy',
            summary: 'rules data.drop-table, cloud.s3-delete: approve',
          },
        ],
      },
    };
  return s;
}

const [what, mode] = process.argv.slice(2);
if (what === 'slack') process.stdout.write(JSON.stringify(renderMessage(script, FIVE_SECOND_NOW)));
else if (what === 'teams') process.stdout.write(JSON.stringify(renderCard(script)));
else {
  const columns = process.stdout.columns || 120;
  const rows = process.stdout.rows || 40;
  const m = mode === 'detail' || mode === 'history' ? mode : 'list';
  render(<Screen state={state(m)} columns={columns} rows={rows} theme={makeTheme(true)} />, { patchConsole: false });
  setInterval(() => undefined, 60_000); // stay on screen until the capture is taken
}

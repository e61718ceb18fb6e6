/**
 * The five-second test on the terminal, at 80×24, 120×40 and 200×50: with a request selected, the
 * first screen (list + preview, no scrolling) shows its verb, target, environment and risk; the
 * detail view's first screen too. Fixtures shared with Slack and Teams (test/channels/five-second.ts).
 */
import { afterEach, describe, expect, test } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { Screen } from '../../src/tui/components/screen.js';
import type { TuiState } from '../../src/tui/model.js';
import { makeTheme } from '../../src/tui/theme.js';
import { FIVE_SECOND, FIVE_SECOND_NOW } from '../channels/five-second.js';
import { base, frameLines, renderAt, run } from './fixtures.js';

afterEach(() => cleanup());

const plain = makeTheme(false);
const SIZES = [
  [80, 24],
  [120, 40],
  [200, 50],
] as const;

function frame(state: TuiState, columns: number, rows: number): string[] {
  return frameLines(
    renderAt(columns, <Screen state={state} columns={columns} rows={rows} theme={plain} />).lastFrame(),
  );
}

function stateWith(c: (typeof FIVE_SECOND)[number]): TuiState {
  return run(
    base({ now: FIVE_SECOND_NOW }),
    { type: 'connection', connection: { status: 'live' } },
    { type: 'snapshot', views: [c.view] },
  );
}

for (const [columns, rows] of SIZES) {
  describe(`${columns}×${rows}`, () => {
    for (const c of FIVE_SECOND) {
      test(c.name, () => {
        const list = frame(stateWith(c), columns, rows);
        const detail = frame(
          run(stateWith(c), {
            type: 'command',
            command: 'details',
            viewport: { page: 5, detailMax: 10_000, historyMax: 0 },
          }),
          columns,
          rows,
        );
        for (const lines of [list, detail]) {
          expect(lines.length).toBe(rows - 1);
          for (const l of lines) expect(Array.from(l).length).toBeLessThanOrEqual(columns);
          // words may wrap at a line end: compare with the line breaks joined
          const text = lines.join('\n');
          const joined = lines.map((l) => l.trim()).join(' ');
          for (const word of [c.verb, c.target, c.where, c.risk])
            expect(text.includes(word) || joined.includes(word), `${word} in\n${text}`).toBe(true);
          for (const bad of c.never ?? []) expect(text).not.toContain(bad);
        }
      });
    }
  });
}

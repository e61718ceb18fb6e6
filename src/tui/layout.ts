/**
 * Screen geometry, computed from the terminal size and the mode: pure, so the reducer's scroll
 * limits and the components agree on every size from 80×24 to wide terminals.
 */
import type { Mode, ReturnMode } from './model.js';

/**
 * Below this width the list and the detail are stacked; from it on, side by side. At 120 columns
 * side by side left the list's COMMAND column 18 characters, so 120 stacks too.
 */
export const SPLIT_MIN_WIDTH = 160;
/** Lines used by the header, the message/prompt line and the footer. */
const CHROME = 1 + 1 + 2;

export interface Layout {
  width: number;
  /** Lines the app draws (one less than the terminal, so Ink never has to clear the screen). */
  height: number;
  body: number;
  split: boolean;
  listWidth: number;
  listHeight: number;
  /** Columns and lines of the detail pane (0 lines when hidden). */
  detailWidth: number;
  detailHeight: number;
}

export function computeLayout(columns: number, rows: number, mode: Mode, returnMode: ReturnMode): Layout {
  const width = Math.max(40, columns);
  const height = Math.max(12, rows - 1);
  const body = height - CHROME;
  const shown: Mode =
    mode === 'filter'
      ? 'list'
      : mode === 'deny-reason' || mode === 'ask' || mode === 'passphrase' || mode === 'revoke'
        ? returnMode
        : mode;
  if (shown === 'history')
    return { width, height, body, split: false, listWidth: width, listHeight: body, detailWidth: 0, detailHeight: 0 };
  if (shown === 'detail' || shown === 'record' || shown === 'scope' || shown === 'extend' || shown === 'batch')
    return { width, height, body, split: false, listWidth: 0, listHeight: 0, detailWidth: width, detailHeight: body };
  if (width >= SPLIT_MIN_WIDTH) {
    const listWidth = Math.floor(width * 0.45);
    // one column of gap between the panes
    return {
      width,
      height,
      body,
      split: true,
      listWidth,
      listHeight: body,
      detailWidth: width - listWidth - 1,
      detailHeight: body,
    };
  }
  const listHeight = Math.max(4, Math.min(body - 5, Math.floor(body * 0.4)));
  // one separator line between list and preview
  return {
    width,
    height,
    body,
    split: false,
    listWidth: width,
    listHeight,
    detailWidth: width,
    detailHeight: body - listHeight - 1,
  };
}

/** The first row to show so that `selected` stays visible in a window of `size` rows. */
export function windowStart(selected: number, total: number, size: number): number {
  if (total <= size || selected < 0) return 0;
  const half = Math.floor(size / 2);
  return Math.max(0, Math.min(total - size, selected - half));
}

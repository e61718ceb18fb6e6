import { describe, expect, test } from 'vitest';
import { approveNeedsOwnKey, BINDINGS, footerHints, resolveKey, splitKeys, stripControl } from '../../src/tui/keys.js';
import type { Mode } from '../../src/tui/model.js';

const MODES: Mode[] = ['list', 'detail', 'filter', 'deny-reason', 'ask', 'passphrase', 'history', 'batch'];

describe('resolveKey', () => {
  test('browse keys act on the selection in list and detail', () => {
    for (const mode of ['list', 'detail'] as const) {
      expect(resolveKey(mode, 'a', {})).toEqual({ command: 'approve' });
      expect(resolveKey(mode, 'd', {})).toEqual({ command: 'deny' });
      expect(resolveKey(mode, 'i', {})).toEqual({ command: 'ask' });
      expect(resolveKey(mode, 'h', {})).toEqual({ command: 'history' });
      expect(resolveKey(mode, 'q', {})).toEqual({ command: 'quit' });
      expect(resolveKey(mode, '', { downArrow: true })).toEqual({ command: 'down' });
      expect(resolveKey(mode, 'k', {})).toEqual({ command: 'up' });
    }
    expect(resolveKey('list', '', { return: true })).toEqual({ command: 'details' });
    expect(resolveKey('list', '/', {})).toEqual({ command: 'filter' });
  });

  test('in text modes letters are text: "a" typed in a deny reason never approves', () => {
    for (const mode of ['filter', 'deny-reason', 'ask', 'passphrase'] as const) {
      expect(resolveKey(mode, 'a', {})).toEqual({ text: 'a' });
      expect(resolveKey(mode, 'q', {})).toEqual({ text: 'q' });
      expect(resolveKey(mode, 'not today', {})).toEqual({ text: 'not today' });
      expect(resolveKey(mode, '', { return: true })).toEqual({ command: 'submit' });
      expect(resolveKey(mode, '', { backspace: true })).toEqual({ command: 'erase' });
      expect(resolveKey(mode, '', { delete: true })).toEqual({ command: 'erase' });
      expect(resolveKey(mode, 'u', { ctrl: true })).toEqual({ command: 'clear-input' });
    }
  });

  test('Ctrl-C quits and Esc backs out in every mode', () => {
    for (const mode of MODES) {
      expect(resolveKey(mode, 'c', { ctrl: true })).toEqual({ command: 'quit' });
      expect(resolveKey(mode, '', { escape: true })).toEqual({ command: 'back' });
    }
  });

  test('pasted multi-character text is not a command outside text modes', () => {
    expect(resolveKey('list', 'ad', {})).toBeUndefined();
    expect(resolveKey('detail', 'aaa', {})).toBeUndefined();
  });

  test('control characters and escape sequences never become typed text', () => {
    expect(resolveKey('deny-reason', '\u001b[31m', { meta: false })).toEqual({ text: '[31m' });
    expect(stripControl('a\u0007b\u009bc')).toBe('abc');
    expect(resolveKey('ask', '\u0001', {})).toBeUndefined();
  });

  test('the history view has refresh but no decision keys', () => {
    expect(resolveKey('history', 'r', {})).toEqual({ command: 'refresh' });
    expect(resolveKey('history', 'a', {})).toBeUndefined();
  });
});

describe('footerHints', () => {
  test('list footer comes from the bindings table, in order, quit last', () => {
    const hints = footerHints('list', true).map((h) => `${h.keys} ${h.label}`);
    expect(hints).toEqual([
      '↑↓ move',
      'Enter details',
      'a approve',
      'd deny',
      'i ask',
      '/ filter',
      'h history',
      'q/^C quit',
    ]);
    expect(footerHints('list', true, true).map((h) => `${h.keys} ${h.label}`)).toContain('Esc clear filter');
  });

  test('extend and revoke are listed only while the selection has a live grant (decision 1100)', () => {
    const labels = (grant: boolean) => footerHints('detail', false, false, grant).map((h) => `${h.keys} ${h.label}`);
    expect(labels(false).join(' ')).not.toMatch(/extend|revoke/);
    expect(labels(true)).toEqual(expect.arrayContaining(['e extend', 'R revoke']));
    expect(resolveKey('list', 'e', {})).toEqual({ command: 'extend' });
    expect(resolveKey('detail', 'R', {})).toEqual({ command: 'revoke' });
    // in the menus the keys are text: a digit picks, y confirms
    expect(resolveKey('extend', '2', {})).toEqual({ text: '2' });
    expect(resolveKey('revoke', 'y', {})).toEqual({ text: 'y' });
  });

  test('acting keys are disabled when the request cannot be acted on', () => {
    const hints = footerHints('detail', false);
    expect(hints.filter((h) => !h.enabled).map((h) => h.label)).toEqual(['approve', 'deny', 'ask']);
    expect(hints.find((h) => h.label === 'back')?.enabled).toBe(true);
  });

  test('B (session batch) is listed only while the selection names an agent session', () => {
    expect(footerHints('list', true).some((h) => h.keys === 'B')).toBe(false);
    expect(footerHints('list', true, false, false, true).find((h) => h.keys === 'B')?.label).toBe('session batch');
  });

  test('every labelled binding appears in the footer of each mode it applies to', () => {
    for (const mode of MODES) {
      const labels = new Set(footerHints(mode, true, true, true, true).map((h) => h.label));
      for (const b of BINDINGS) {
        const applies = b.modes === 'all' || b.modes.includes(mode);
        if (applies && b.label !== undefined)
          expect(labels.has(b.command === 'back' && mode === 'list' ? 'clear filter' : b.label)).toBe(true);
      }
    }
  });
});

describe('splitKeys', () => {
  test('a run of keys read at once becomes one key press each, Enter and Backspace included', () => {
    expect(splitKeys('gd', {})).toEqual([
      { input: 'g', key: {} },
      { input: 'd', key: {} },
    ]);
    expect(splitKeys('ok\r', {}).map((e) => resolveKey('deny-reason', e.input, e.key))).toEqual([
      { text: 'o' },
      { text: 'k' },
      { command: 'submit' },
    ]);
    expect(splitKeys('x\u007f', {})[1]).toEqual({ input: '', key: { backspace: true } });
    expect(splitKeys('a\u0003', {})[1]).toEqual({ input: 'c', key: { ctrl: true } });
  });

  test('single keys and escape sequences pass through untouched', () => {
    expect(splitKeys('a', {})).toEqual([{ input: 'a', key: {} }]);
    expect(splitKeys('', { upArrow: true })).toEqual([{ input: '', key: { upArrow: true } }]);
    expect(splitKeys('[A', { upArrow: true })).toHaveLength(1);
  });

  test('an "a" that arrives with other keys is not an approval', () => {
    expect(approveNeedsOwnKey(splitKeys('ja', {}))).toBe(true);
    expect(approveNeedsOwnKey(splitKeys('a', {}))).toBe(false);
  });
});

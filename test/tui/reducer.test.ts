import { describe, expect, test } from 'vitest';
import type { Command } from '../../src/tui/keys.js';
import type { TuiState } from '../../src/tui/model.js';
import { reduce, type Action } from '../../src/tui/reducer.js';
import { blockedReason, selectedEntry, visibleEntries } from '../../src/tui/select.js';
import { base, ID, liveWith, NOW, run, view } from './fixtures.js';

const VP = { page: 5, detailMax: 30, historyMax: 10 };
const cmd = (command: Command): Action => ({ type: 'command', command, viewport: VP });
const typed = (text: string): Action => ({ type: 'text', text });

function three(): TuiState {
  return liveWith([
    view({ id: ID.a, risk: 'medium', createdAt: new Date(NOW - 60_000).toISOString() }),
    view({ id: ID.b, risk: 'critical', createdAt: new Date(NOW - 600_000).toISOString() }),
    view({ id: ID.c, risk: 'medium', createdAt: new Date(NOW - 10_000).toISOString() }),
  ]);
}

describe('list', () => {
  test('riskiest first, then newest; the first is selected', () => {
    const s = three();
    expect(visibleEntries(s).map((e) => e.view.id)).toEqual([ID.b, ID.c, ID.a]);
    expect(s.selectedId).toBe(ID.b);
  });

  test('moving clamps at both ends; a new request does not steal the selection', () => {
    let s = run(three(), cmd('down'), cmd('down'), cmd('down'));
    expect(s.selectedId).toBe(ID.a);
    s = run(s, cmd('top'), cmd('up'));
    expect(s.selectedId).toBe(ID.b);
    s = run(s, cmd('down'), { type: 'update', view: view({ id: ID.d, risk: 'critical' }) });
    expect(s.selectedId).toBe(ID.c);
    expect(visibleEntries(s)[0]?.view.id).toBe(ID.d);
  });

  test('closed requests sink below open ones but stay visible', () => {
    const s = run(three(), {
      type: 'update',
      view: view({ id: ID.b, risk: 'critical', state: 'approved', decidedBy: 'carol' }),
    });
    expect(visibleEntries(s).map((e) => e.view.id)).toEqual([ID.c, ID.a, ID.b]);
  });

  test('closed requests leave the list 10 minutes after they closed, unless selected', () => {
    let s = run(three(), { type: 'update', view: view({ id: ID.a, risk: 'medium', state: 'denied' }) });
    s = run(s, { type: 'update', view: view({ id: ID.c, risk: 'medium', state: 'expired' }) }, cmd('bottom'));
    const selected = s.selectedId;
    s = run(s, { type: 'tick', now: NOW + 9 * 60_000 });
    expect(Object.keys(s.requests)).toHaveLength(3);
    s = run(s, { type: 'tick', now: NOW + 10 * 60_000 });
    expect(Object.keys(s.requests).sort()).toEqual([ID.b, selected].sort());
  });

  test('filter narrows as you type, Enter keeps it, Esc clears it', () => {
    let s = run(
      three(),
      { type: 'update', view: view({ id: ID.d, command: 'terraform destroy', risk: 'low' }) },
      cmd('filter'),
      typed('terra'),
    );
    expect(s.mode).toBe('filter');
    expect(visibleEntries(s).map((e) => e.view.id)).toEqual([ID.d]);
    expect(s.selectedId).toBe(ID.d);
    s = run(s, cmd('submit'));
    expect(s.mode).toBe('list');
    expect(s.filter).toBe('terra');
    s = run(s, cmd('back'));
    expect(s.filter).toBe('');
    expect(visibleEntries(s)).toHaveLength(4);
  });
});

describe('approve', () => {
  test('locked key: approve asks for the passphrase; the typed text never enters the state', () => {
    let s = run(three(), cmd('approve'));
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual({ requestId: ID.b, action: 'approve' });
    expect(s.outbox).toEqual([]);
    s = run(s, typed('**********'), cmd('erase'));
    expect(s.secretLength).toBe(9);
    s = run(s, cmd('submit'));
    expect(s.outbox.at(-1)).toMatchObject({
      kind: 'unlock-and-decide',
      intent: { requestId: ID.b, action: 'approve' },
    });
    expect(s.busy).toEqual({ requestId: ID.b, action: 'approve' });
    expect(s.mode).toBe('list');
    expect(blockedReason(s, selectedEntry(s))).toMatch(/sending your approve/);
  });

  test('an empty passphrase is not submitted', () => {
    const s = run(three(), cmd('approve'), cmd('submit'));
    expect(s.mode).toBe('passphrase');
    expect(s.outbox).toEqual([]);
    expect(s.flash?.text).toMatch(/type your passphrase/);
  });

  test('unlocked key: approve signs and sends at once, until the unlock window ends', () => {
    // with fresh passphrases switched off (--fresh-passphrase none), the window covers every risk
    let s = run({ ...three(), freshRisks: [] }, { type: 'unlocked', until: NOW + 300_000 }, cmd('approve'));
    expect(s.outbox.at(-1)).toMatchObject({ kind: 'decide', intent: { requestId: ID.b, action: 'approve' } });
    s = run(
      s,
      { type: 'decided', intent: { requestId: ID.b, action: 'approve' }, message: 'approved' },
      { type: 'tick', now: NOW + 300_000 },
    );
    expect(s.unlockedUntil).toBeUndefined();
    expect(s.outbox.at(-1)?.kind).toBe('lock');
    s = run(s, cmd('down'), cmd('approve'));
    expect(s.mode).toBe('passphrase');
  });

  test('unlocked key: approving a high or critical request still asks for the passphrase; deny does not', () => {
    const unlocked = run(three(), { type: 'unlocked', until: NOW + 300_000 });
    const approve = run(unlocked, cmd('approve'));
    expect(approve.mode).toBe('passphrase');
    expect(approve.pending).toMatchObject({ requestId: ID.b, action: 'approve' });
    expect(approve.outbox.some((o) => o.kind === 'decide')).toBe(false);
    const deny = run(unlocked, cmd('deny'), typed('no'), cmd('submit'));
    expect(deny.outbox.at(-1)).toMatchObject({ kind: 'decide', intent: { requestId: ID.b, action: 'deny' } });
  });

  test('the daemon saying the key is locked brings the passphrase prompt back with the same decision', () => {
    const intent = { requestId: ID.b, action: 'deny' as const, reason: 'no' };
    const s = run(three(), { type: 'decision-failed', intent, message: 'the unlock window is over', locked: true });
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual(intent);
  });

  test('a wrong passphrase keeps the prompt and the pending decision', () => {
    const s = run(three(), cmd('approve'), typed('*****'), cmd('submit'), {
      type: 'unlock-failed',
      message: 'wrong passphrase',
    });
    expect(s.mode).toBe('passphrase');
    expect(s.pending?.requestId).toBe(ID.b);
    expect(s.secretLength).toBe(0);
    expect(s.busy).toBeUndefined();
    expect(s.flash).toEqual({ level: 'error', text: 'wrong passphrase' });
  });

  test('Esc at the passphrase prompt cancels: nothing is sent', () => {
    const s = run(three(), cmd('approve'), typed('***'), cmd('back'));
    expect(s.mode).toBe('list');
    expect(s.pending).toBeUndefined();
    expect(s.outbox).toEqual([]);
    expect(s.flash?.text).toMatch(/nothing was sent/);
  });

  test('an approver cannot approve the same request twice', () => {
    const s = run(
      liveWith([
        view({
          id: ID.a,
          quorum: 2,
          approvals: [{ approver: 'bob', channel: 'cli', at: new Date(NOW).toISOString() }],
        }),
      ]),
      cmd('approve'),
    );
    expect(s.mode).toBe('list');
    expect(s.flash?.text).toMatch(/approved this already/);
  });
});

describe('deny and ask', () => {
  test('deny needs a reason', () => {
    let s = run(three(), { type: 'unlocked', until: NOW + 60_000 }, cmd('deny'));
    expect(s.mode).toBe('deny-reason');
    s = run(s, typed('   '), cmd('submit'));
    expect(s.mode).toBe('deny-reason');
    expect(s.flash?.text).toMatch(/reason is required/);
    s = run(s, cmd('clear-input'), typed('drops prod data'), cmd('submit'));
    expect(s.outbox.at(-1)).toMatchObject({
      kind: 'decide',
      intent: { requestId: ID.b, action: 'deny', reason: 'drops prod data' },
    });
    expect(s.mode).toBe('list');
  });

  test('ask sends a question (needs_info); from the detail view it returns there', () => {
    const s = run(three(), cmd('details'), cmd('ask'), typed('which ticket?'), cmd('submit'));
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual({ requestId: ID.b, action: 'ask', question: 'which ticket?' });
    expect(s.returnMode).toBe('detail');
  });

  test('a needs_info request can still be decided', () => {
    const s = run(liveWith([view({ id: ID.a, state: 'needs_info', question: 'why?' })]), cmd('deny'));
    expect(s.mode).toBe('deny-reason');
  });
});

describe('requests that change while viewed', () => {
  test('approved elsewhere while typing a deny reason: the prompt closes and nothing is sent', () => {
    const s = run(three(), cmd('deny'), typed('too broad'), {
      type: 'update',
      view: view({ id: ID.b, risk: 'critical', state: 'approved', decidedBy: 'carol' }),
    });
    expect(s.mode).toBe('list');
    expect(s.outbox).toEqual([]);
    expect(s.flash?.text).toMatch(/changed while you typed: APPROVED by carol.*Nothing was sent/);
  });

  test('revoked while the passphrase prompt is open: the prompt closes', () => {
    const s = run(three(), cmd('approve'), typed('**'), {
      type: 'update',
      view: view({ id: ID.b, risk: 'critical', state: 'revoked' }),
    });
    expect(s.mode).toBe('list');
    expect(s.pending).toBeUndefined();
  });

  test('a decided request keeps its place in the view and cannot be acted on', () => {
    let s = run(three(), cmd('details'), {
      type: 'update',
      view: view({ id: ID.b, risk: 'critical', state: 'denied', decidedBy: 'dave', decisionReason: 'no' }),
    });
    expect(s.mode).toBe('detail');
    expect(s.selectedId).toBe(ID.b);
    expect(blockedReason(s, selectedEntry(s))).toBe('DENIED by dave: no — nothing left to decide');
    for (const c of ['approve', 'deny', 'ask'] as const) {
      s = run(s, cmd(c));
      expect(s.mode).toBe('detail');
      expect(s.outbox).toEqual([]);
      expect(s.flash?.text).toMatch(new RegExp(`cannot ${c}: DENIED`));
    }
  });

  test('past its deadline by the local clock a request is not actionable even before the daemon says so', () => {
    const s = run(three(), { type: 'tick', now: NOW + 3600_000 }, cmd('approve'));
    expect(s.mode).toBe('list');
    expect(s.flash?.text).toMatch(/EXPIRED/);
  });
});

describe('daemon connection', () => {
  test('before the first snapshot nothing is actionable', () => {
    const s = run(base(), { type: 'update', view: view({ id: ID.a }) }, cmd('approve'));
    expect(s.flash?.text).toMatch(/daemon is unreachable/);
  });

  test('losing the daemon makes every request stale and closes an open prompt', () => {
    let s = run(three(), cmd('deny'), typed('x'));
    s = run(s, {
      type: 'connection',
      connection: { status: 'down', message: 'ECONNRESET', retryAt: NOW + 500, attempt: 1 },
    });
    expect(s.mode).toBe('list');
    expect(s.flash?.text).toMatch(/connection was lost: nothing was sent/);
    expect(Object.values(s.requests).every((e) => !e.live)).toBe(true);
    s = run(s, cmd('approve'));
    expect(s.mode).toBe('list');
    expect(s.flash?.text).toMatch(/unreachable/);
  });

  test('after reconnecting, requests the daemon no longer lists stay stale', () => {
    let s = run(three(), {
      type: 'connection',
      connection: { status: 'down', message: 'gone', retryAt: NOW, attempt: 1 },
    });
    s = run(
      s,
      { type: 'snapshot', views: [view({ id: ID.a, risk: 'medium' })] },
      { type: 'connection', connection: { status: 'live' } },
    );
    expect(s.requests[ID.a]?.live).toBe(true);
    expect(s.requests[ID.b]?.live).toBe(false);
    expect(blockedReason(s, s.requests[ID.b])).toMatch(/no longer listed/);
    expect(visibleEntries(s)[0]?.view.id).toBe(ID.a);
  });
});

describe('detail and history', () => {
  test('detail scroll is clamped to the viewport limits', () => {
    let s = run(three(), cmd('details'), cmd('page-down'), cmd('page-down'));
    expect(s.detailScroll).toBe(10);
    s = run(s, cmd('bottom'));
    expect(s.detailScroll).toBe(30);
    s = run(s, cmd('top'), cmd('up'));
    expect(s.detailScroll).toBe(0);
    s = run(s, cmd('back'));
    expect(s.mode).toBe('list');
  });

  test('history loads through the outbox and Esc returns where it was opened', () => {
    let s = run(three(), cmd('details'), cmd('history'));
    expect(s.mode).toBe('history');
    expect(s.outbox.at(-1)?.kind).toBe('load-history');
    expect(s.history.status).toBe('loading');
    s = run(s, {
      type: 'history-loaded',
      items: [{ seq: 4, ts: 't', type: 'approval', requestId: ID.a, who: 'bob', summary: 'approve' }],
    });
    expect(s.history.items).toHaveLength(1);
    s = run(s, cmd('refresh'));
    expect(s.outbox.at(-1)?.kind).toBe('load-history');
    s = run(s, cmd('back'));
    expect(s.mode).toBe('detail');
  });

  test('quit is requested through the outbox from any mode', () => {
    for (const setup of [[], [cmd('deny')], [cmd('history')]] as Action[][]) {
      const s = run(three(), ...setup, cmd('quit'));
      expect(s.outbox.at(-1)?.kind).toBe('quit');
    }
  });

  test('effects queue up in order: a decision followed at once by quit is not lost', () => {
    const s = run(
      three(),
      { type: 'unlocked', until: NOW + 60_000 },
      cmd('deny'),
      typed('no'),
      cmd('submit'),
      cmd('quit'),
    );
    expect(s.outbox.map((o) => o.kind)).toEqual(['decide', 'quit']);
  });

  test('each outgoing effect gets a new serial', () => {
    const s1 = reduce(three(), cmd('history'));
    const s2 = reduce(s1, cmd('refresh'));
    expect(s2.outbox.at(-1)!.serial).toBeGreaterThan(s1.outbox.at(-1)!.serial);
  });
});

describe('scope menu', () => {
  const bounded = view({ id: ID.a, risk: 'medium', grantBounds: { maxUses: 3, maxTtlSeconds: 3600, ttlSeconds: 900 } });

  test('a digit signs the scope fixed when the menu opened; a bad key asks again', () => {
    let s = run(liveWith([bounded]), cmd('approve'));
    expect(s.mode).toBe('scope');
    const shown = s.choices![1]!.grant;
    s = run(s, { type: 'update', view: { ...bounded, cwd: '/elsewhere' } }, typed('9'));
    expect(s.mode).toBe('scope');
    expect(s.flash?.text).toContain('press 1–3');
    s = run(s, typed('2'));
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual({ requestId: ID.a, action: 'approve', grant: shown });
    expect(s.choices).toBeUndefined();
  });

  test('a request that closes while the menu is open leaves it; nothing is sent', () => {
    const s = run(
      liveWith([bounded]),
      cmd('approve'),
      { type: 'update', view: { ...bounded, state: 'approved', decidedBy: 'carol' } },
      typed('2'),
    );
    expect(s.mode).toBe('list');
    expect(s.pending).toBeUndefined();
    expect(s.outbox).toEqual([]);
  });

  test('a rule without bounds: approve goes straight to the passphrase', () => {
    const s = run(liveWith([view({ id: ID.a, risk: 'medium' })]), cmd('approve'));
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual({ requestId: ID.a, action: 'approve' });
  });
});

describe('live grants (decision 1100)', () => {
  const inTen = new Date(NOW + 10 * 60_000).toISOString();
  const inHour = new Date(NOW + 60 * 60_000).toISOString();
  const approved = view({
    id: ID.a,
    risk: 'medium',
    state: 'approved',
    decidedBy: 'bob',
    grantBounds: { maxUses: 3, maxTtlSeconds: 3600, ttlSeconds: 600 },
  });
  const grant = {
    requestId: ID.a,
    usesLeft: 1,
    expiresAt: inTen,
    extendOffer: { from: { usesLeft: 1, expiresAt: inTen }, to: { usesLeft: 3, expiresAt: inHour } },
  };
  const withGrant = (): TuiState =>
    run(liveWith([approved, view({ id: ID.b, risk: 'low' })]), { type: 'grants-loaded', grants: [grant] });

  test('a live grant sorts after open requests and before closed ones; "grant" filters them', () => {
    let s = run(withGrant(), { type: 'update', view: view({ id: ID.c, risk: 'critical', state: 'denied' }) });
    expect(visibleEntries(s).map((e) => e.view.id)).toEqual([ID.b, ID.a, ID.c]);
    s = run(s, cmd('filter'), typed('grant'), cmd('submit'));
    expect(visibleEntries(s).map((e) => e.view.id)).toEqual([ID.a]);
  });

  test('a live grant stays listed past the closed-request retention; it leaves once its grant is gone', () => {
    let s = run(withGrant(), cmd('down'), { type: 'tick', now: NOW + 9 * 60_000 });
    s = run(s, cmd('top'), { type: 'tick', now: NOW + 9.5 * 60_000 });
    expect(s.requests[ID.a]).toBeDefined();
    s = run(s, { type: 'tick', now: NOW + 11 * 60_000 });
    expect(s.requests[ID.a]).toBeUndefined();
  });

  test('e reads the offer afresh, then offers more uses, more time, or both; the digit signs that verbatim', () => {
    let s = run(withGrant(), cmd('down'), cmd('extend'));
    expect(s.mode).toBe('extend');
    expect(s.extending).toEqual({ requestId: ID.a, from: { usesLeft: 1, expiresAt: inTen }, choices: undefined });
    expect(s.outbox.at(-1)?.kind).toBe('load-grants');
    s = run(s, typed('1'));
    expect(s.mode).toBe('extend');
    expect(s.flash?.text).toContain('reading the grant');
    s = run(s, { type: 'grants-loaded', grants: [grant] });
    expect(s.extending?.choices?.map((c) => c.to)).toEqual([
      { usesLeft: 3, expiresAt: inTen },
      { usesLeft: 1, expiresAt: inHour },
      { usesLeft: 3, expiresAt: inHour },
    ]);
    s = run(s, typed('3'));
    // medium risk, key locked: the passphrase first
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual({
      requestId: ID.a,
      action: 'extend',
      from: { usesLeft: 1, expiresAt: inTen },
      to: { usesLeft: 3, expiresAt: inHour },
    });
    s = run(s, typed('***'), cmd('submit'));
    expect(s.outbox.at(-1)).toMatchObject({ kind: 'unlock-and-decide', intent: { action: 'extend' } });
    expect(s.busy?.action).toBe('extend');
  });

  test('unlocked: a digit sends the extension at once; a high-risk grant still asks for the passphrase', () => {
    let s = run(withGrant(), { type: 'unlocked', until: NOW + 60_000 }, cmd('down'), cmd('extend'));
    s = run(s, { type: 'grants-loaded', grants: [grant] }, typed('1'));
    expect(s.outbox.at(-1)).toMatchObject({ kind: 'decide', intent: { action: 'extend', to: { usesLeft: 3 } } });
    const high = run(
      liveWith([{ ...approved, risk: 'high' }]),
      { type: 'grants-loaded', grants: [grant] },
      { type: 'unlocked', until: NOW + 60_000 },
      cmd('extend'),
      { type: 'grants-loaded', grants: [grant] },
      typed('1'),
    );
    expect(high.mode).toBe('passphrase');
  });

  test('the grant changing while the menu is open (a use) leaves it; nothing is sent', () => {
    let s = run(withGrant(), cmd('down'), cmd('extend'), { type: 'grants-loaded', grants: [grant] });
    const used = {
      ...grant,
      usesLeft: 2,
      extendOffer: { ...grant.extendOffer, from: { usesLeft: 2, expiresAt: inTen } },
    };
    s = run(s, { type: 'grants-loaded', grants: [used] });
    expect(s.mode).toBe('list');
    expect(s.flash?.text).toContain(`the grant of ${ID.a} changed (now 2 uses left`);
    expect(s.outbox.filter((o) => o.kind === 'decide' || o.kind === 'unlock-and-decide')).toEqual([]);
  });

  test('refusals are said: no offer, at the bound already, no grant, grant gone', () => {
    const noOffer = run(
      liveWith([{ ...approved, grantBounds: undefined }]),
      { type: 'grants-loaded', grants: [{ ...grant, extendOffer: undefined }] },
      cmd('extend'),
    );
    expect(noOffer.flash?.text).toBe('cannot extend: its rule allows no extension (no max_uses / max_ttl)');
    const atBound = run(liveWith([approved]), { type: 'grants-loaded', grants: [grant] }, cmd('extend'), {
      type: 'grants-loaded',
      grants: [{ ...grant, extendOffer: { from: grant.extendOffer.from, to: { usesLeft: 1, expiresAt: inTen } } }],
    });
    expect(atBound.mode).toBe('list');
    expect(atBound.flash?.text).toContain('already has the most its rule allows');
    const pending = run(liveWith([view({ id: ID.b, risk: 'low' })]), cmd('revoke'));
    expect(pending.flash?.text).toContain('PENDING: it has no grant yet');
    const gone = run(withGrant(), cmd('down'), { type: 'grants-loaded', grants: [] }, cmd('revoke'));
    expect(gone.flash?.text).toContain('is no longer live');
  });

  test('R asks first; y revokes (no passphrase), n keeps it', () => {
    let s = run(withGrant(), cmd('down'), cmd('revoke'));
    expect(s.mode).toBe('revoke');
    expect(s.outbox).toEqual([]);
    s = run(s, typed('x'));
    expect(s.flash?.text).toContain('press y');
    const kept = run(s, typed('n'));
    expect(kept.mode).toBe('list');
    expect(kept.outbox).toEqual([]);
    s = run(s, typed('y'));
    expect(s.outbox.at(-1)).toMatchObject({ kind: 'decide', intent: { requestId: ID.a, action: 'revoke' } });
    s = run(s, { type: 'decided', intent: { requestId: ID.a, action: 'revoke' }, message: 'revoked' });
    expect(s.busy).toBeUndefined();
  });

  test('a refused extension is shown; a lapsed window brings the same extension back behind the prompt', () => {
    const intent = {
      requestId: ID.a,
      action: 'extend' as const,
      from: { usesLeft: 1, expiresAt: inTen },
      to: { usesLeft: 3, expiresAt: inTen },
    };
    let s = run(withGrant(), {
      type: 'decision-failed',
      intent,
      message: 'the daemon refused it: at most 3 uses (policy max_uses)',
      locked: false,
    });
    expect(s.flash).toEqual({ level: 'error', text: 'the daemon refused it: at most 3 uses (policy max_uses)' });
    s = run(s, { type: 'decision-failed', intent, message: 'locked', locked: true });
    expect(s.mode).toBe('passphrase');
    expect(s.pending).toEqual(intent);
  });
});

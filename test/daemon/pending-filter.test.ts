/**
 * `ChannelHost.pending` with a filter: a channel asking about one request (the hub's view of it) or
 * one agent session (Slack's session message) gets exactly those open requests, with the same
 * detail and view hash as the unfiltered list.
 */
import { describe, expect, it } from 'vitest';
import { pendingRequests } from '../../src/daemon/shown-view.js';
import type { StoredRequest } from '../../src/request/state.js';
import { request } from '../request/fixtures.js';

function stored(id: string, session: string | undefined, state: StoredRequest['state'] = 'pending'): StoredRequest {
  const r = request();
  return { ...r, id, state, view: { ...r.view, id, state, ...(session === undefined ? {} : { session }) } };
}

describe('pending requests, filtered', () => {
  const all = [
    stored('rq-a', 'S-1'),
    stored('rq-b', 'S-2'),
    stored('rq-c', 'S-1'),
    stored('rq-d', undefined),
    stored('rq-e', 'S-1', 'denied'),
  ];
  const store = { live: () => all };

  it('by id and by session: exactly the open ones named, as the full list gives them', () => {
    const full = pendingRequests(store);
    expect(full.map((p) => p.detail.view.id)).toEqual(['rq-a', 'rq-b', 'rq-c', 'rq-d']);
    const bySession = pendingRequests(store, { session: 'S-1' });
    expect(bySession.map((p) => p.detail.view.id)).toEqual(['rq-a', 'rq-c']);
    expect(bySession).toEqual(full.filter((p) => p.detail.view.session === 'S-1'));
    expect(pendingRequests(store, { id: 'rq-b' })).toEqual([full[1]]);
    expect(pendingRequests(store, { id: 'rq-e' })).toEqual([]);
    expect(pendingRequests(store, { id: 'rq-a', session: 'S-2' })).toEqual([]);
  });
});

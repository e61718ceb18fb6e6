/**
 * The view a step-up login names (docs/identity.md, level 3): the text `guard approve` shows for a
 * request. The daemon recomputes it from the request it holds, so a client cannot pick the view
 * hash its token was made for; a request that changed after it was shown no longer matches.
 */
import { formatDetail } from '../cli/commands/requests.js';
import { viewHash } from '../identity/nonce.js';
import { channelSubjects } from '../identity/load.js';
import { detail } from './handlers/query.js';
import type { ApproverRecord } from '../approval/types.js';
import type { ChannelIdentity, PendingFilter, PendingRequest } from '../channels/types.js';
import { channelApprover } from '../request/vote.js';
import { isOpen, type StoredRequest } from './record.js';

/** The text shown for `r` as it stands now. */
export function shownViewText(r: StoredRequest): string {
  return formatDetail(detail(r));
}

/** sha256 hex of `shownViewText(r)`. */
export function shownViewHash(r: StoredRequest): string {
  return viewHash(shownViewText(r));
}

/** The refusal of a step-up login that names a view other than `shownViewHash` of the request. */
export const VIEW_CHANGED = {
  ok: false,
  code: 'step-up-view-changed',
  reason:
    'the login names another view of this request than the daemon holds (it changed after it was shown); show it again and approve anew',
} as const;

/** The open requests for the web approval page, oldest first. */
export function pendingRequests(
  store: { live(): readonly StoredRequest[] },
  only: PendingFilter = {},
): PendingRequest[] {
  return store
    .live()
    .filter(
      (r) =>
        isOpen(r) &&
        (only.id === undefined || r.id === only.id) &&
        (only.session === undefined || r.view.session === only.session),
    )
    .map((r) => ({ detail: detail(r), viewHash: shownViewHash(r) }));
}

/** The approver a channel identity maps to; none when unmapped, ambiguous or the registry is unreadable. */
export function approverOf(
  ctx: { approvers(): ApproverRecord[]; env: NodeJS.ProcessEnv },
  identity: ChannelIdentity,
): string | undefined {
  try {
    return channelApprover(identity, ctx.approvers(), channelSubjects(ctx.env))?.approver.name;
  } catch {
    return undefined;
  }
}

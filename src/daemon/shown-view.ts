/**
 * The view a step-up login names (docs/identity.md, level 3): the text `guard approve` shows for a
 * request. The daemon recomputes it from the request it holds, so a client cannot pick the view
 * hash its token was made for; a request that changed after it was shown no longer matches.
 */
import { formatDetail } from '../cli/commands/requests.js';
import { viewHash } from '../identity/nonce.js';
import { detail } from './handlers/query.js';
import type { StoredRequest } from './record.js';

/** The text shown for `r` as it stands now. */
export function shownViewText(r: StoredRequest): string {
  return formatDetail(detail(r));
}

/** sha256 hex of `shownViewText(r)`. */
export function shownViewHash(r: StoredRequest): string {
  return viewHash(shownViewText(r));
}

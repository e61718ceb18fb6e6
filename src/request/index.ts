/** The request core: states, the view, refusals, votes and the one transition function. */
export { isOpen, OPEN_STATES, REQUEST_STATES } from './state.js';
export type { LedgerItem, RequestState, RequestView, StoredRequest } from './state.js';
export { isRefusal, refusal, Refused } from './refusal.js';
export type { Refusal, RefusalCode } from './refusal.js';
export { acceptVote, channelApprover, refusedBallotPayload } from './vote.js';
export type { AcceptedVote, Ballot, ChannelDecision, ChannelIdentity, ChannelMatch } from './vote.js';
export { transition } from './transition.js';
export type { Change, RequestEvent } from './transition.js';

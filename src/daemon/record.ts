/** The daemon's request record: defined by the request core (src/request/state.ts). */
export { isOpen, OPEN_STATES, type StoredRequest } from '../request/state.js';

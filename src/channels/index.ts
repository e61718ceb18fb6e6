/**
 * Remote approval channels (Slack Socket Mode, webhook/API, Microsoft Teams) behind one interface.
 * The daemon loads the `channels:` config section, builds the channels, calls start(host) once,
 * notify(view) for a new request and update(view) on every state change.
 */
export * from './types.js';
export { loadChannelsConfig, type ChannelsConfig } from './config.js';
export { resolveSecret } from './secrets.js';
export { createChannels } from './create.js';
export { HttpListener } from './http-listener.js';
export { signatureFor, verifySignature, REPLAY_WINDOW_SECONDS } from './signing.js';
export { DECISION_SCHEMA } from './webhook/payload.js';

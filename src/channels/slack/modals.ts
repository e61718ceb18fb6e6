/** The Deny (reason) and Ask (question) modals and reading their submissions. */
import { escapeText } from './escape.js';

export const MODAL_DENY = 'guard_deny_modal';
export const MODAL_ASK = 'guard_ask_modal';
const BLOCK = 'guard_text';
const INPUT = 'guard_text_input';

export interface ModalMeta {
  requestId: string;
  channel: string;
  ts: string | undefined;
}

export function modalView(kind: 'deny' | 'ask', meta: ModalMeta): Record<string, unknown> {
  const deny = kind === 'deny';
  return {
    type: 'modal',
    callback_id: deny ? MODAL_DENY : MODAL_ASK,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: deny ? 'Deny request' : 'Ask a question' },
    submit: { type: 'plain_text', text: deny ? 'Deny' : 'Ask' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Request \`${escapeText(meta.requestId)}\``, verbatim: true } },
      {
        type: 'input',
        block_id: BLOCK,
        label: { type: 'plain_text', text: deny ? 'Reason (shown to the requester)' : 'Question for the requester' },
        element: { type: 'plain_text_input', action_id: INPUT, multiline: true, max_length: 2000 },
      },
    ],
  };
}

/** Reads the submitted text and metadata; undefined when the payload is not one of ours or malformed. */
export function readSubmission(view: unknown): { kind: 'deny' | 'ask'; meta: ModalMeta; text: string } | undefined {
  const v = view as {
    callback_id?: unknown;
    private_metadata?: unknown;
    state?: { values?: Record<string, Record<string, { value?: unknown }>> };
  };
  const kind = v.callback_id === MODAL_DENY ? 'deny' : v.callback_id === MODAL_ASK ? 'ask' : undefined;
  if (kind === undefined || typeof v.private_metadata !== 'string') return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(v.private_metadata);
  } catch {
    return undefined;
  }
  const m = meta as Partial<ModalMeta>;
  if (typeof m.requestId !== 'string' || typeof m.channel !== 'string') return undefined;
  const value = v.state?.values?.[BLOCK]?.[INPUT]?.value;
  const text = typeof value === 'string' ? value.trim() : '';
  return {
    kind,
    meta: { requestId: m.requestId, channel: m.channel, ts: typeof m.ts === 'string' ? m.ts : undefined },
    text,
  };
}

export const MODAL_BATCH_DENY = 'guard_batch_deny_modal';

/** What a "Deny all" modal carries back: the set as the button named it, and where to answer. */
export interface BatchModalMeta {
  value: string;
  channel: string;
}

/** The reason modal of "Deny all" (decision 1114): one reason, recorded with each request's denial. */
export function batchDenyModal(meta: BatchModalMeta, count: number, session: string): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: MODAL_BATCH_DENY,
    private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Deny all' },
    submit: { type: 'plain_text', text: 'Deny all' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Deny the ${count} requests of agent session \`${escapeText(session)}\` listed in the message, each on its own.`,
          verbatim: true,
        },
      },
      {
        type: 'input',
        block_id: BLOCK,
        label: { type: 'plain_text', text: 'Reason (shown to the requester)' },
        element: { type: 'plain_text_input', action_id: INPUT, multiline: true, max_length: 2000 },
      },
    ],
  };
}

/** A "Deny all" submission: the metadata and the reason; undefined when not one or malformed. */
export function readBatchSubmission(view: unknown): { meta: BatchModalMeta; text: string } | undefined {
  const v = view as {
    callback_id?: unknown;
    private_metadata?: unknown;
    state?: { values?: Record<string, Record<string, { value?: unknown }>> };
  };
  if (v.callback_id !== MODAL_BATCH_DENY || typeof v.private_metadata !== 'string') return undefined;
  let meta: Partial<BatchModalMeta>;
  try {
    meta = JSON.parse(v.private_metadata) as Partial<BatchModalMeta>;
  } catch {
    return undefined;
  }
  if (typeof meta.value !== 'string' || typeof meta.channel !== 'string') return undefined;
  const value = v.state?.values?.[BLOCK]?.[INPUT]?.value;
  return { meta: { value: meta.value, channel: meta.channel }, text: typeof value === 'string' ? value.trim() : '' };
}

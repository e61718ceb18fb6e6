/**
 * The `channels:` section of GUARD_HOME/config.yaml, validated with zod. Errors name
 * file:line:col. Secrets are never in this file: only references (env:, file:, keychain:).
 */
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { lazily } from '../util/lazily.js';
import { UsageError } from '../errors.js';

const SECRET_REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+|keychain:[^/]+\/.+)$/;
const secretRef = lazily(() =>
  z
    .string()
    .regex(
      SECRET_REF,
      'must be a secret reference (env:NAME, file:/absolute/path or keychain:service/account), never the secret itself',
    ),
);

const retry = lazily(() =>
  z
    .object({
      attempts: z.number().int().min(1).max(20).default(6),
      base_ms: z.number().int().min(1).max(60_000).default(500),
      max_ms: z.number().int().min(1).max(600_000).default(30_000),
    })
    .strict(),
);

const slack = lazily(() =>
  z
    .object({
      app_token_ref: secretRef,
      bot_token_ref: secretRef,
      channel_id: z.string().regex(/^[CDG][A-Z0-9]{2,}$/, 'must be a Slack channel id such as C0123ABCD (not a #name)'),
      /** Web API base URL; only for tests and Slack-compatible relays. */
      api_url: z.url().optional(),
      /** Slack user id → approver name, used as the display name of the identity. */
      user_map: z
        .record(z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'keys must be Slack user ids'), z.string().min(1))
        .optional(),
    })
    .strict(),
);

const webhook = lazily(() =>
  z
    .object({
      name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lowercase letters, digits, - and _ (max 40)'),
      url: z.url(),
      secret_ref: secretRef,
      mode: z.enum(['inline', 'callback', 'poll', 'notify']),
      poll_interval_seconds: z.number().min(1).max(3600).optional(),
      allow_insecure_http: z.boolean().optional(),
    })
    .strict(),
);

const teams = lazily(() =>
  z
    .object({
      /** The Workflows URL carries its own signature: it is a secret, so it is referenced. */
      workflow_url_ref: secretRef,
      mode: z.enum(['approval', 'notify']),
      poll_interval_seconds: z.number().min(1).max(3600).optional(),
      allow_insecure_http: z.boolean().optional(),
      /** The flow returns the card's `guard_scope` choice as `scope`: approval cards offer scoped grants (decision 1089). */
      scope_choice: z.boolean().optional(),
      /** The flow returns a live-grant card's `guard_grant_action` choice: approved grants are extended or revoked from Teams (decision 1111). */
      grant_actions: z.boolean().optional(),
    })
    .strict()
    .refine((t) => t.grant_actions !== true || t.mode === 'approval', {
      path: ['grant_actions'],
      message: 'grant_actions needs mode "approval" (a notify flow returns no answer)',
    }),
);

const httpListener = lazily(() =>
  z
    .object({
      bind: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535),
      public_url: z.url().optional(),
    })
    .strict(),
);

export const channelsSchema = lazily(() =>
  z
    .object({
      retry: retry.optional(),
      slack: slack.optional(),
      webhooks: z.array(webhook).default([]),
      teams: teams.optional(),
      http_listener: httpListener.optional(),
      /** The web approval page under /approve on the HTTP listener (docs/identity.md); needs identity:. */
      web: z
        .object({ session_minutes: z.number().int().min(1).max(1440).default(60) })
        .strict()
        .optional(),
    })
    .strict()
    .superRefine((c, ctx) => {
      if (c.web !== undefined && c.http_listener === undefined)
        ctx.addIssue({ code: 'custom', path: ['web'], message: 'the web approval page needs channels.http_listener' });
      const names = new Set<string>();
      c.webhooks.forEach((w, i) => {
        if (names.has(w.name))
          ctx.addIssue({
            code: 'custom',
            path: ['webhooks', i, 'name'],
            message: `duplicate webhook name "${w.name}"`,
          });
        names.add(w.name);
        if (w.mode === 'callback' && c.http_listener === undefined)
          ctx.addIssue({
            code: 'custom',
            path: ['webhooks', i, 'mode'],
            message: 'mode "callback" needs channels.http_listener (it is off by default)',
          });
      });
    }),
);

export type ChannelsConfig = z.infer<typeof channelsSchema>;

function position(doc: Document, counter: LineCounter, path: (string | number)[]): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) return counter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}

/**
 * Parses config.yaml text and validates its `channels:` section (absent → nothing configured).
 * `callbacksServed`: the caller serves webhook callbacks itself (the hub, decision 1071), so a
 * callback endpoint needs no `http_listener`.
 */
export function loadChannelsConfig(text: string, file: string, callbacksServed = false): ChannelsConfig {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const pos = syntax.linePos?.[0] ?? { line: 1, col: 1 };
    throw new UsageError(`${file}:${pos.line}:${pos.col}: YAML error: ${syntax.message.split('\n')[0] ?? ''}`, {
      hint: 'Fix the YAML syntax; nothing was loaded.',
    });
  }
  const root: unknown = doc.contents === null ? undefined : doc.toJS();
  if (root !== undefined && !isMap(doc.contents))
    throw new UsageError(`${file}:1:1: the configuration must be a mapping`);
  const section = (root as Record<string, unknown> | undefined)?.['channels'] ?? {};
  const served =
    callbacksServed && typeof section === 'object' && section !== null && !('http_listener' in section)
      ? { ...section, http_listener: { port: 0 } }
      : section;
  const result = channelsSchema.safeParse(served ?? {});
  // the hub's Teams owner posts no live-grant card: its extend/revoke is not built (decision 1111)
  const hubGrant = callbacksServed && result.data?.teams?.grant_actions === true;
  if (result.success && !hubGrant)
    return served === section ? result.data : { ...result.data, http_listener: undefined };
  const issue = hubGrant
    ? { path: ['teams', 'grant_actions'], message: 'grant_actions is not built on the hub (decision 1111)' }
    : result.error?.issues[0];
  const path = ['channels', ...(issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))];
  const pos = position(doc, counter, path);
  throw new UsageError(`${file}:${pos.line}:${pos.col}: ${path.join('.')}: ${issue?.message ?? 'invalid'}`, {
    hint: 'Fix the channels section of the configuration; see docs/channels.md for every field.',
    details: { file, line: pos.line, col: pos.col, path: path.join('.') },
  });
}

/**
 * The `identity:` section of GUARD_HOME/config.yaml: which OpenID Connect provider vouches for
 * approvers. Absent → no IdP (passphrase keys only). Errors name file:line:col like channels.
 */
import { isMap, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { lazily } from '../util/lazily.js';
import { UsageError } from '../errors.js';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);
const subjectMap = lazily(() => z.record(z.string().min(1).max(256), z.string().min(1).max(256)));

export const identitySchema = lazily(() =>
  z
    .object({
      /** The issuer exactly as the provider names itself (`iss` of its tokens). */
      issuer: z.url(),
      client_id: z.string().min(1).max(256),
      scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope token')).default(['openid', 'email']),
      /** The ID-token claim that lists the user's groups (Okta/Entra: `groups`). */
      groups_claim: z.string().min(1).max(128).default('groups'),
      /** Sent as `acr_values` on step-up logins; the token's `acr` must be one of them. */
      acr_values: z.array(z.string().min(1)).optional(),
      /** Tolerance between the provider's clock and this host's, for auth_time checks. */
      max_clock_skew_seconds: z.number().int().min(0).max(300).default(30),
      /** Plain http is accepted only for a loopback issuer and only when set (tests, local IdPs). */
      allow_insecure_http: z.boolean().default(false),
      /**
       * Admin mapping of channel identities to IdP subjects (decision 1066): a Slack user id or a
       * Teams e-mail counts as the approver enrolled with that subject; any other click is refused.
       */
      channel_subjects: z
        .object({ slack: subjectMap.default({}), teams: subjectMap.default({}) })
        .strict()
        .default({ slack: {}, teams: {} }),
    })
    .strict()
    .superRefine((c, ctx) => {
      const url = new URL(c.issuer);
      if (url.protocol === 'https:') return;
      if (url.protocol === 'http:' && c.allow_insecure_http && LOOPBACK.has(url.hostname)) return;
      ctx.addIssue({
        code: 'custom',
        path: ['issuer'],
        message: 'the issuer must be https (http only on loopback with allow_insecure_http: true)',
      });
    })
    .superRefine((c, ctx) => {
      if (!c.scopes.includes('openid'))
        ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'scopes must include openid' });
    }),
);

export type IdentityConfig = z.infer<typeof identitySchema>;

/** Parses config.yaml text and validates its `identity:` section; undefined when absent. */
export function loadIdentityConfig(text: string, file: string): IdentityConfig | undefined {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const pos = syntax.linePos?.[0] ?? { line: 1, col: 1 };
    throw new UsageError(`${file}:${pos.line}:${pos.col}: YAML error: ${syntax.message.split('\n')[0] ?? ''}`);
  }
  if (doc.contents === null) return undefined;
  if (!isMap(doc.contents)) throw new UsageError(`${file}:1:1: the configuration must be a mapping`);
  const section = (doc.toJS() as Record<string, unknown>)['identity'];
  if (section === undefined || section === null) return undefined;
  const result = identitySchema.safeParse(section);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = ['identity', ...(issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))];
  let pos = { line: 1, col: 1 };
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range !== undefined) {
      pos = counter.linePos(node.range[0]);
      break;
    }
  }
  throw new UsageError(`${file}:${pos.line}:${pos.col}: ${path.join('.')}: ${issue?.message ?? 'invalid'}`, {
    hint: 'Fix the identity section of the configuration; see docs/identity.md.',
  });
}

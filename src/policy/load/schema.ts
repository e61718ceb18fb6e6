import { z } from 'zod';
import { lazily } from '../../util/lazily.js';

/** The policy file format (version 1). Unknown keys are errors: a typo must not weaken a rule. */
const strings = lazily(() =>
  z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: 'expected a string or a list of strings (quote words YAML reads as other types: true, no, 1.0)',
  }),
);
const duration = lazily(() =>
  z.union([z.number().int().positive(), z.string().regex(/^\d+(s|m|h|d)?$/, 'a duration like 90, 30s, 15m, 4h or 7d')]),
);

export const matchSchema = lazily(() =>
  z
    .object({
      program: strings,
      subcommand: strings.optional(),
      flags: z.array(z.string().regex(/^[-+]/, 'a flag starts with - or +')).optional(),
      no_flags: z.array(z.string().regex(/^[-+]/, 'a flag starts with - or +')).optional(),
      options: z.record(z.string().regex(/^-/, 'an option starts with -'), z.string()).optional(),
      any_arg: z.array(z.string().min(1)).optional(),
      no_arg: z.array(z.string().min(1)).optional(),
      text: z.string().min(1).optional(),
      no_text: z.string().min(1).optional(),
      env: z.record(z.string(), z.string()).optional(),
      cwd: strings.optional(),
      requester: z.object({ user: strings.optional(), agent: strings.optional() }).strict().optional(),
      fed_by: z.array(z.string().min(1)).optional(),
      via: z.array(z.string().min(1)).optional(),
      writes: z.array(z.string().min(1)).optional(),
      /**
       * The rule does not apply when every argument is one of these plain names in the working
       * directory (literal, no `/` but a leading `./`, no `..`, no earlier `cd`): `rm -rf node_modules`.
       */
      unless_only_args: z.array(z.string().min(1)).optional(),
      /** Compare subcommand, option values and arguments without regard to case (kubectl get SECRET). */
      ignore_case: z.boolean().optional(),
      /** text/no_text read SQL: keywords inside '…' literals do not count unless the SQL can run strings. */
      sql: z.boolean().optional(),
      /** any_arg looks at literal words only: a computed word is not taken as a possible match. */
      literal_args: z.boolean().optional(),
    })
    .strict(),
);

export const approvalSchema = lazily(() =>
  z
    .object({
      groups: z.array(z.string().min(1)).optional(),
      quorum: z.number().int().min(1).max(20).optional(),
      ttl: duration.optional(),
      uses: z.number().int().min(1).optional(),
      /** Scoped grants (an approver may choose more uses, a longer time, this agent session): their bounds. */
      max_uses: z.number().int().min(1).max(1000).optional(),
      max_ttl: duration.optional(),
      timeout: duration.optional(),
      four_eyes: z.boolean().optional(),
      channels: z.array(z.string().min(1)).optional(),
      /** step-up: each approval needs a fresh IdP login bound to the request (level 3, docs/identity.md). */
      identity: z.enum(['step-up']).optional(),
      /** A request still open `after` this long may also be decided by group `to`. */
      escalate: z
        .object({ after: duration, to: z.string().min(1) })
        .strict()
        .optional(),
    })
    .strict(),
);

export const ruleSchema = lazily(() =>
  z
    .object({
      id: z
        .string()
        .regex(/^[a-z0-9][a-z0-9._-]*$/, 'a rule id is lower-case letters, digits, dots, dashes or underscores'),
      description: z.string().min(1),
      effect: z.enum(['allow', 'approve', 'deny']),
      risk: z.enum(['low', 'medium', 'high', 'critical']).optional(),
      match: matchSchema,
      approval: approvalSchema.optional(),
      impact: z.string().optional(),
      /** Enforced mode: credentials from the daemon's store the command runs with, by the executor. */
      credentials: z
        .array(z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a credential name: lower-case letters, digits, . _ -'))
        .min(1)
        .optional(),
      /** Enforced mode: previews of this rule's commands that run the agent's configuration may use its credentials (decision 1096). */
      preview: z.literal('with_credentials').optional(),
      controls: z.array(z.string().regex(/^A\.\d+(\.\d+)*$/, 'an ISO 27001 Annex A control id like A.8.32')).optional(),
      examples: z
        .object({ match: z.array(z.string()).optional(), no_match: z.array(z.string()).optional() })
        .strict()
        .optional(),
    })
    .strict(),
);

export const fileSchema = lazily(() =>
  z
    .object({
      version: z.literal(1, { error: 'version must be 1' }),
      default: z.enum(['allow', 'approve', 'deny']).optional(),
      on_unresolved: z
        .enum(['approve', 'deny'], {
          error: 'on_unresolved must be approve or deny (never allow: what guard cannot read must not run unseen)',
        })
        .optional(),
      disable: z.array(z.string()).optional(),
      rules: z.array(ruleSchema).optional(),
    })
    .strict(),
);

export type RuleDoc = z.infer<typeof ruleSchema>;
export type MatchDoc = z.infer<typeof matchSchema>;
export type ApprovalDoc = z.infer<typeof approvalSchema>;
export type FileDoc = z.infer<typeof fileSchema>;

export function seconds(d: number | string | undefined, fallback: number): number {
  if (d === undefined) return fallback;
  if (typeof d === 'number') return d;
  const m = /^(\d+)(s|m|h|d)?$/.exec(d);
  if (m === null) return fallback;
  const mult = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * mult;
}

/** Public types of the redaction module (see docs/redaction.md). */

export interface SecretFinding {
  where: 'argv' | 'env' | 'text';
  /** argv index, or -1 for env and text. */
  index: number;
  /** Env variable name (redactEnv) or JSON path (redactDeep). */
  key?: string;
  /** e.g. 'aws-access-key', 'github-token', 'jwt', 'url-credentials', 'password-flag', 'secret-env', 'policy:<name>'. */
  kind: string;
  /** UTF-16 offsets of the secret in the original string (argv element, env value or text). */
  start: number;
  end: number;
  /** Salted hash of the secret (`scrypt$N$r$p$<base64url>`) so an auditor can confirm a suspected value. */
  hash: string;
  /** base64url random salt, one per finding. */
  salt: string;
}

export interface Redacted<T> {
  value: T;
  findings: SecretFinding[];
}

export interface PolicyPattern {
  name: string;
  /** JavaScript regular expression source. With a capture group, only group 1 is redacted. */
  regex: string;
}

export interface RedactOptions {
  /** Extra patterns from policy. */
  patterns?: PolicyPattern[];
}

/** A secret located in one string, before hashing. Offsets are in that string. */
export interface Span {
  start: number;
  end: number;
  kind: string;
  /** Characters at the start of the span that may stay visible (a public format prefix). */
  keep: number;
  /** Higher wins when spans overlap: known formats 3, positional rules 2, name rules 1.5. */
  priority: number;
}

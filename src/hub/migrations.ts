/**
 * The hub's schema, shipped as ordered migrations and applied on start under a PostgreSQL
 * advisory lock, so replicas started together apply each migration exactly once. A migration is
 * never edited once released: add the next one.
 */
import type { Pool } from 'pg';
import { checkout } from './store.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'hosts, enrolment tokens, requests, votes, hub keys',
    sql: `
CREATE TABLE hosts (
  id text PRIMARY KEY,
  name text NOT NULL UNIQUE,
  credential_sha256 text NOT NULL,
  ledger_key text,
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  last_seen timestamptz
);
CREATE TABLE enroll_tokens (
  token_sha256 text PRIMARY KEY,
  host_name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz
);
CREATE SEQUENCE request_rev;
CREATE TABLE requests (
  host_id text NOT NULL REFERENCES hosts(id),
  request_id text NOT NULL,
  state text NOT NULL,
  view jsonb NOT NULL,
  rev bigint NOT NULL DEFAULT nextval('request_rev'),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host_id, request_id)
);
CREATE INDEX requests_rev ON requests (rev);
CREATE TABLE votes (
  id bigserial PRIMARY KEY,
  host_id text NOT NULL REFERENCES hosts(id),
  request_id text NOT NULL,
  body jsonb NOT NULL,
  signature text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  leased_until timestamptz,
  consumed_at timestamptz
);
CREATE INDEX votes_open ON votes (host_id, id) WHERE consumed_at IS NULL;
CREATE TABLE hub_keys (
  name text PRIMARY KEY,
  private_pem text NOT NULL,
  public_key text NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'witness: the last cosigned checkpoint per host, refusals, flagged hosts',
    sql: `
CREATE TABLE witness_checkpoints (
  host_id text PRIMARY KEY REFERENCES hosts(id),
  size bigint NOT NULL,
  root bytea NOT NULL,
  note text NOT NULL,
  cosigned_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE witness_refusals (
  id bigserial PRIMARY KEY,
  host_id text NOT NULL REFERENCES hosts(id),
  note text NOT NULL,
  reason text NOT NULL,
  refused_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE hosts ADD COLUMN flagged text;
`,
  },
  {
    version: 3,
    name: 'evidence: forwarded ledger records, checkpoints with their cosignatures, the head per host',
    sql: `
CREATE TABLE evidence_records (
  host_id text NOT NULL REFERENCES hosts(id),
  seq bigint NOT NULL,
  bytes bytea NOT NULL,
  leaf bytea NOT NULL,
  ts text NOT NULL,
  PRIMARY KEY (host_id, seq)
);
CREATE TABLE evidence_checkpoints (
  host_id text NOT NULL REFERENCES hosts(id),
  size bigint NOT NULL,
  note text NOT NULL,
  cosignature text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host_id, size)
);
CREATE TABLE evidence_heads (
  host_id text PRIMARY KEY REFERENCES hosts(id),
  size bigint NOT NULL,
  frontier bytea NOT NULL
);
`,
  },
  {
    version: 4,
    name: 'slack messages: where each request was posted, and the revision it shows',
    sql: `
CREATE TABLE slack_messages (
  host_id text NOT NULL REFERENCES hosts(id),
  request_id text NOT NULL,
  channel_id text NOT NULL,
  ts text NOT NULL,
  rev bigint NOT NULL,
  PRIMARY KEY (host_id, request_id)
);
`,
  },
  {
    version: 5,
    name: 'approver public keys distributed by hosts (guard tui --hub, decision 1049)',
    sql: `
CREATE TABLE host_approvers (
  host_id text NOT NULL REFERENCES hosts(id),
  name text NOT NULL,
  public_key text NOT NULL,
  PRIMARY KEY (host_id, name)
);
CREATE INDEX host_approvers_key ON host_approvers (public_key);
CREATE TABLE approver_sessions (
  token_sha256 text PRIMARY KEY,
  public_key text NOT NULL,
  expires_at timestamptz NOT NULL
);
`,
  },
  {
    version: 6,
    name: "approvers' IdP subjects distributed by hosts (the hub's web approval page)",
    sql: `
ALTER TABLE host_approvers ADD COLUMN idp_subject text, ADD COLUMN idp_issuer text;
CREATE INDEX host_approvers_idp ON host_approvers (idp_subject);
`,
  },
  {
    version: 7,
    name: "the hub's web page sign-ins, sessions and used ID tokens, shared by replicas (decision 1075)",
    sql: `
CREATE TABLE web_logins (
  state_sha256 text PRIMARY KEY,
  browser_sha256 text NOT NULL,
  verifier text NOT NULL,
  nonce text NOT NULL,
  purpose jsonb NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_logins_expiry ON web_logins (expires_at);
CREATE TABLE web_sessions (
  id_sha256 text PRIMARY KEY,
  subject text NOT NULL,
  issuer text NOT NULL,
  approver text NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
CREATE TABLE web_used_tokens (
  token_sha256 text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX web_used_tokens_expiry ON web_used_tokens (expires_at);
`,
  },
  {
    version: 8,
    name: 'teams and webhook deliveries: the Location being polled per request; webhook callback signatures used',
    sql: `
CREATE TABLE channel_deliveries (
  channel text NOT NULL,
  host_id text NOT NULL REFERENCES hosts(id),
  request_id text NOT NULL,
  location text,
  rev bigint NOT NULL,
  PRIMARY KEY (channel, host_id, request_id)
);
CREATE TABLE webhook_callbacks (
  signature text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 9,
    name: 'live grants: until when the grant of an approved request is usable (extend and revoke on the hub, decision 1103)',
    sql: `
ALTER TABLE requests ADD COLUMN grant_until timestamptz;
CREATE INDEX requests_live_grants ON requests (grant_until) WHERE grant_until IS NOT NULL;
`,
  },
];

/** Advisory lock keys (one namespace for the hub; arbitrary constants). */
export const LOCK_MIGRATE = 0x6775_6101;
export const LOCK_SLACK = 0x6775_6102;
export const LOCK_TEAMS = 0x6775_6103;
/** Webhook endpoints: this in the high 32 bits, a hash of the endpoint's name in the low ones. */
export const LOCK_WEBHOOK_SPACE = 0x6775_6104;

/** Applies every migration not yet applied; returns the versions applied by this call. */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await checkout(pool);
  const applied: number[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_MIGRATE]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
        }
        applied.push(m.version);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [LOCK_MIGRATE]);
    }
  } finally {
    client.release();
  }
  return applied;
}

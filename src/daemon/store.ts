/**
 * The request store: SQLite (better-sqlite3), WAL, synchronous=FULL, so that pending requests and
 * grants survive a daemon restart. One row per request: indexed columns plus the record as JSON.
 */
import Database from 'better-sqlite3';
import { FailClosedError } from '../errors.js';
import type { StoredRequest } from './record.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_fp ON requests (fingerprint, state);
CREATE INDEX IF NOT EXISTS requests_state ON requests (state, created_at);
`;

const LIVE_STATES: ReadonlySet<string> = new Set(['pending', 'needs_info', 'approved']);

/** The order requests are listed and paged in: creation time, then id (ids are unique, so it is total). */
export const liveKey = (r: StoredRequest): string => `${r.createdAt}|${r.id}`;

export const compareKeys = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The index of the first row in `rows` (ordered by `liveKey`) whose key is after `cursor`. */
export function firstAfter(rows: readonly StoredRequest[], cursor: string): number {
  let lo = 0;
  let hi = rows.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (liveKey(rows[mid]!) <= cursor) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class RequestStore {
  private readonly db: Database.Database;
  private readonly upsertStmt: Database.Statement;
  private readonly getStmt: Database.Statement;
  private readonly byStateStmt: Database.Statement;
  private readonly recentStmt: Database.Statement;
  private readonly byFpStmt: Database.Statement;
  /** Open and approved requests, kept parsed in memory (oldest first): no row is re-read to list them. */
  private readonly liveRows = new Map<string, StoredRequest>();
  /** `liveRows` in list order (creation time, then id), rebuilt only after a change: pages do not re-sort. */
  private sortedLive: readonly StoredRequest[] | undefined;

  constructor(path: string) {
    try {
      this.db = new Database(path);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
    } catch (err) {
      throw new FailClosedError(`cannot open the request store ${path}: ${(err as Error).message}`, { cause: err });
    }
    this.upsertStmt = this.db.prepare(
      `INSERT INTO requests (id, state, fingerprint, created_at, expires_at, data) VALUES (@id, @state, @fingerprint, @createdAt, @expiresAt, @data)
       ON CONFLICT(id) DO UPDATE SET state = excluded.state, expires_at = excluded.expires_at, data = excluded.data`,
    );
    this.getStmt = this.db.prepare('SELECT data FROM requests WHERE id = ?');
    this.byStateStmt = this.db.prepare(
      `SELECT data FROM requests WHERE state IN ('pending', 'needs_info', 'approved') ORDER BY created_at`,
    );
    this.recentStmt = this.db.prepare('SELECT data FROM requests ORDER BY created_at DESC LIMIT ?');
    this.byFpStmt = this.db.prepare(
      `SELECT data FROM requests WHERE fingerprint = ? AND state = 'approved' ORDER BY created_at`,
    );
    for (const row of this.byStateStmt.all() as { data: string }[]) {
      const r = JSON.parse(row.data) as StoredRequest;
      this.liveRows.set(r.id, r);
    }
  }

  put(r: StoredRequest): void {
    const data = JSON.stringify(r);
    try {
      this.upsertStmt.run({
        id: r.id,
        state: r.state,
        fingerprint: r.fingerprint,
        createdAt: r.createdAt,
        expiresAt: r.expiresAt,
        data,
      });
    } catch (err) {
      throw new FailClosedError(`cannot write the request store: ${(err as Error).message}`, { cause: err });
    }
    // a private copy: later changes to `r` by the caller are not the stored state
    if (LIVE_STATES.has(r.state)) this.liveRows.set(r.id, JSON.parse(data) as StoredRequest);
    else this.liveRows.delete(r.id);
    this.sortedLive = undefined;
  }

  get(id: string): StoredRequest | undefined {
    const row = this.getStmt.get(id) as { data: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.data) as StoredRequest);
  }

  /**
   * Open requests and approved ones (whose grants may still be usable), ordered by `liveKey`
   * (oldest first). The array is shared until the next `put`: callers must not change it.
   */
  live(): readonly StoredRequest[] {
    this.sortedLive ??= [...this.liveRows.values()].sort((a, b) => compareKeys(liveKey(a), liveKey(b)));
    return this.sortedLive;
  }

  recent(limit: number): StoredRequest[] {
    return (this.recentStmt.all(limit) as { data: string }[]).map((r) => JSON.parse(r.data) as StoredRequest);
  }

  approvedWithFingerprint(fingerprint: string): StoredRequest[] {
    return (this.byFpStmt.all(fingerprint) as { data: string }[]).map((r) => JSON.parse(r.data) as StoredRequest);
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Where the Slack owner posted each request's message, and the request revision the message
 * shows. A replica that takes Slack over reads them, so it edits the messages the dead owner
 * posted (their buttons stay the ones to click) instead of posting every open request again, and
 * brings up to date those that changed while no replica owned Slack (decision 1048).
 */
import type { Pool } from 'pg';
import type { RequestView } from '../channels/types.js';

export interface MessageRef {
  channel: string;
  ts: string;
}

export interface KnownMessage {
  hostId: string;
  hostName: string;
  ref: MessageRef;
  /** The request revision the message shows. */
  shown: string;
  /** The request's revision and view now. */
  rev: string;
  view: RequestView;
}

/** Every message kept for a request that is open, or that changed after its message last showed it. */
export async function knownMessages(pool: Pool): Promise<KnownMessage[]> {
  const r = await pool.query<{
    host_id: string;
    name: string;
    channel_id: string;
    ts: string;
    shown: string;
    rev: string;
    view: RequestView;
  }>(
    `SELECT m.host_id, h.name, m.channel_id, m.ts, m.rev::text AS shown, r.rev::text AS rev, r.view
     FROM slack_messages m
     JOIN requests r ON r.host_id = m.host_id AND r.request_id = m.request_id
     JOIN hosts h ON h.id = m.host_id
     WHERE r.state IN ('pending', 'needs_info') OR r.rev > m.rev
     ORDER BY r.rev`,
  );
  return r.rows.map((x) => ({
    hostId: x.host_id,
    hostName: x.name,
    ref: { channel: x.channel_id, ts: x.ts },
    shown: x.shown,
    rev: x.rev,
    view: x.view,
  }));
}

/** Records that a request's message (posted or edited) shows revision `rev`; never moves back. */
export async function recordMessage(
  pool: Pool,
  hostId: string,
  requestId: string,
  ref: MessageRef,
  rev: string,
): Promise<void> {
  await pool.query(
    `INSERT INTO slack_messages (host_id, request_id, channel_id, ts, rev) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (host_id, request_id) DO UPDATE
       SET channel_id = EXCLUDED.channel_id, ts = EXCLUDED.ts, rev = GREATEST(slack_messages.rev, EXCLUDED.rev)`,
    [hostId, requestId, ref.channel, ref.ts, rev],
  );
}

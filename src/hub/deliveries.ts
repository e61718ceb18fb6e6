/**
 * Where the Teams owner and each webhook owner delivered each request: the Location of the answer
 * still being polled (a Teams flow run, a webhook's 202), and the request revision the last
 * delivery shows. A replica that takes a channel over reads them and polls the kept Locations
 * instead of delivering again (decision 1070, the counterpart of decision 1048 for Slack). A
 * Location may carry a signature (Teams' `sig=`): it is kept only in PostgreSQL, next to the hub's
 * own keys, and never logged.
 */
import type { Pool } from 'pg';
import type { DeliveryRef } from '../channels/poll.js';
import type { RequestView } from '../channels/types.js';
import type { MessageKeeper } from './slack-owner.js';

interface KnownDelivery {
  hostId: string;
  hostName: string;
  ref: DeliveryRef;
  shown: string;
  rev: string;
  view: RequestView;
}

/** The keeper of one channel's deliveries (`teams`, `webhook:<name>`). */
export function deliveryKeeper(channel: string): MessageKeeper {
  /** Every delivery kept for a request that is open, or that changed after its last delivery showed it. */
  const known = async (pool: Pool): Promise<KnownDelivery[]> => {
    const r = await pool.query<{
      host_id: string;
      name: string;
      location: string | null;
      shown: string;
      rev: string;
      view: RequestView;
    }>(
      `SELECT d.host_id, h.name, d.location, d.rev::text AS shown, r.rev::text AS rev, r.view
       FROM channel_deliveries d
       JOIN requests r ON r.host_id = d.host_id AND r.request_id = d.request_id
       JOIN hosts h ON h.id = d.host_id
       WHERE d.channel = $1 AND (r.state IN ('pending', 'needs_info') OR r.rev > d.rev)
       ORDER BY r.rev`,
      [channel],
    );
    return r.rows.map((x) => ({
      hostId: x.host_id,
      hostName: x.name,
      ref: { location: x.location },
      shown: x.shown,
      rev: x.rev,
      view: x.view,
    }));
  };
  /** Records the last delivery of a request and the revision it shows; the revision never moves back. */
  const record = async (pool: Pool, hostId: string, requestId: string, ref: DeliveryRef, rev: string) => {
    await pool.query(
      `INSERT INTO channel_deliveries (channel, host_id, request_id, location, rev) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (channel, host_id, request_id) DO UPDATE
         SET location = EXCLUDED.location, rev = GREATEST(channel_deliveries.rev, EXCLUDED.rev)`,
      [channel, hostId, requestId, ref.location, rev],
    );
  };
  /** The delivery's answer is a stored vote: no later owner polls its Location again. */
  const answered = async (pool: Pool, hostName: string, requestId: string) => {
    await pool.query(
      `UPDATE channel_deliveries d SET location = NULL FROM hosts h
       WHERE d.channel = $1 AND h.id = d.host_id AND h.name = $2 AND d.request_id = $3`,
      [channel, hostName, requestId],
    );
  };
  return { known, record: record, answered };
}

import { selectRows, type Queryable } from '../db/pool.js';
import { API_KEY_COLUMNS, toApiKey, type ApiKey, type ApiKeyRow } from './apiKeys.js';

/**
 * One key by id, with whether it has expired by the database clock, and how soon it expires
 * (milliseconds, by that clock; undefined: never).
 */
export async function readApiKey(db: Queryable, id: string): Promise<(ApiKey & { expired: boolean; expiresInMs: number | undefined }) | undefined> {
  const rows = await selectRows<ApiKeyRow & { expired: number; expires_in_ms: number | string | null }>(
    db,
    `SELECT ${API_KEY_COLUMNS}, (expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP(6)) AS expired,
       TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), expires_at) DIV 1000 AS expires_in_ms
     FROM api_keys WHERE id = ?`,
    [id],
  );
  const row = rows[0];
  return row && { ...toApiKey(row), expired: Boolean(row.expired), expiresInMs: row.expires_in_ms === null ? undefined : Number(row.expires_in_ms) };
}

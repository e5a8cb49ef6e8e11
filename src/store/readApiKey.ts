import { selectRows, type Queryable } from '../db/pool.js';
import { API_KEY_COLUMNS, toApiKey, type ApiKey, type ApiKeyRow } from './apiKeys.js';

/** One key by id, with whether it has expired by the database clock. */
export async function readApiKey(db: Queryable, id: string): Promise<(ApiKey & { expired: boolean }) | undefined> {
  const rows = await selectRows<ApiKeyRow & { expired: number }>(
    db,
    `SELECT ${API_KEY_COLUMNS}, (expires_at IS NOT NULL AND expires_at <= UTC_TIMESTAMP(6)) AS expired FROM api_keys WHERE id = ?`,
    [id],
  );
  const row = rows[0];
  return row && { ...toApiKey(row), expired: Boolean(row.expired) };
}

import { selectRows, type Queryable } from '../db/pool.js';
import { API_KEY_COLUMNS, toApiKey, type ApiKey, type ApiKeyRow } from './apiKeys.js';

/** Every key (of `tenant`, when given), oldest first within each tenant. */
export async function listApiKeys(db: Queryable, tenant: string | undefined): Promise<ApiKey[]> {
  const rows = await selectRows<ApiKeyRow>(
    db,
    `SELECT ${API_KEY_COLUMNS} FROM api_keys ${tenant === undefined ? '' : 'WHERE tenant = ?'} ORDER BY tenant, created_at, id`,
    tenant === undefined ? [] : [tenant],
  );
  return rows.map(toApiKey);
}

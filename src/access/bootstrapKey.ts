import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Pool } from '../db/pool.js';
import { withTransaction, type TransactionOptions } from '../db/transaction.js';
import { countApiKeys } from '../store/countApiKeys.js';
import { lockSchema } from '../store/lockSchema.js';
import { createKey } from './keys.js';

/**
 * On a first start with no keys at all, creates a `write` key for tenant `default` and writes it
 * to `file` (mode 0600), so that a zero-configuration start is usable and still closed to
 * strangers. The check and the insert happen under the lock row the migrations use, so two
 * processes starting together create one key. The file is written before the commit: a key is
 * never stored without it (a retried transaction writes it again, with the key it stores).
 * Returns the file written, or undefined.
 */
export async function ensureBootstrapKey(pool: Pool, file: string, transactions?: TransactionOptions): Promise<string | undefined> {
  return withTransaction(
    pool,
    async (connection) => {
      await lockSchema(connection);
      if ((await countApiKeys(connection)) > 0) return undefined;
      const { token } = await createKey(connection, { tenant: 'default', role: 'write', description: 'created on first start' });
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, `${token}\n`, { mode: 0o600 });
      chmodSync(file, 0o600); // also when an old file was there with wider permissions
      return file;
    },
    transactions,
  );
}

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import mysql from 'mysql2/promise';
import { connectionOptions } from '../db/pool.js';
import type { DatabaseTarget } from '../db/target.js';
import { countApiKeys } from '../store/countApiKeys.js';
import { createKey } from './keys.js';

/**
 * On a first start with no keys at all, creates a `write` key for tenant `default` and writes it
 * to `file` (mode 0600), so that a zero-configuration start is usable and still closed to
 * strangers. The check and the insert happen under the lock row the migrations use, so two
 * processes starting together create one key. Returns the file written, or undefined.
 */
export async function ensureBootstrapKey(target: DatabaseTarget, file: string): Promise<string | undefined> {
  const connection = await mysql.createConnection(connectionOptions(target));
  try {
    await connection.query('START TRANSACTION');
    await connection.query('SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE');
    if ((await countApiKeys(connection)) > 0) {
      await connection.query('COMMIT');
      return undefined;
    }
    const { token } = await createKey(connection, { tenant: 'default', role: 'write', description: 'created on first start' });
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    chmodSync(file, 0o600); // also when an old file was there with wider permissions
    await connection.query('COMMIT');
    return file;
  } catch (error) {
    await connection.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await connection.end();
  }
}

import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { migrate } from '../../src/db/migrate.js';
import { connectionOptions, createPool, type Pool } from '../../src/db/pool.js';
import type { DatabaseTarget } from '../../src/db/target.js';
import { testServer } from './rootHooks.js';

export interface TestDatabase {
  target: DatabaseTarget;
  pool: Pool;
  drop(): Promise<void>;
}

/** An empty database with a random name on the test server; `migrated` runs the migrations. */
export async function createTestDatabase(options: { migrated?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const target = testServer().target(name);
  await adminQuery(target, `CREATE DATABASE ${mysql.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  if (options.migrated !== false) await migrate(target);
  const pool = createPool(target, options.poolSize ?? 10);
  return {
    target,
    pool,
    async drop() {
      await pool.end();
      await adminQuery(target, `DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
    },
  };
}

async function adminQuery(target: DatabaseTarget, sql: string): Promise<void> {
  const { database: _database, ...server } = connectionOptions(target);
  const connection = await mysql.createConnection(server);
  try {
    await connection.query(sql);
  } finally {
    await connection.end();
  }
}

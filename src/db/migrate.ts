import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { Umzug, type UmzugStorage } from 'umzug';
import { migrationsDir } from '../paths.js';
import { isNoSuchTable } from './errors.js';
import { connectionOptions, selectRows, type Queryable } from './pool.js';
import type { DatabaseTarget } from './target.js';

/** The migration files, in the order they apply: numbered `NNNN_name.sql`, append-only. */
export function migrationNames(): string[] {
  return readdirSync(migrationsDir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort();
}

/**
 * Applies the pending migrations and returns their names. Two processes starting at once must
 * not both apply them, and GET_LOCK is not available on Galera, so the first one to lock the one
 * row of `schema_lock` (SELECT ... FOR UPDATE) applies them while the other waits on that row and
 * then finds nothing pending. DDL commits implicitly, so the lock is held on one connection and
 * the migrations run on another.
 */
export async function migrate(target: DatabaseTarget): Promise<string[]> {
  const lockConnection = await mysql.createConnection(connectionOptions(target));
  const runConnection = await mysql.createConnection({ ...connectionOptions(target), multipleStatements: true });
  try {
    await lockConnection.query(
      'CREATE TABLE IF NOT EXISTS schema_lock (id TINYINT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=InnoDB',
    );
    await lockConnection.query('INSERT IGNORE INTO schema_lock (id) VALUES (1)');
    await lockConnection.query('SET SESSION innodb_lock_wait_timeout = 600');
    await lockConnection.query('START TRANSACTION');
    await lockConnection.query('SELECT id FROM schema_lock WHERE id = 1 FOR UPDATE');

    await runConnection.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         name VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
         applied_at DATETIME(6) NOT NULL
       ) ENGINE=InnoDB`,
    );
    const umzug = new Umzug({
      migrations: migrationNames().map((name) => ({
        name,
        up: async () => {
          await runConnection.query(readFileSync(join(migrationsDir, name), 'utf8'));
        },
      })),
      storage: migrationStorage(runConnection),
      logger: undefined,
    });
    const applied = await umzug.up();
    await lockConnection.query('COMMIT');
    return applied.map((migration) => migration.name);
  } finally {
    await runConnection.end().catch(() => undefined);
    await lockConnection.end().catch(() => undefined);
  }
}

function migrationStorage(db: Queryable): UmzugStorage {
  return {
    async logMigration({ name }) {
      await db.query('INSERT INTO schema_migrations (name, applied_at) VALUES (?, UTC_TIMESTAMP(6))', [name]);
    },
    async unlogMigration({ name }) {
      await db.query('DELETE FROM schema_migrations WHERE name = ?', [name]);
    },
    async executed() {
      return appliedMigrations(db);
    },
  };
}

export async function appliedMigrations(db: Queryable): Promise<string[]> {
  const rows = await selectRows<{ name: string }>(db, 'SELECT name FROM schema_migrations ORDER BY name', []);
  return rows.map((row) => row.name);
}

/**
 * Which of the `expected` migrations the database has applied and which it lacks. A database
 * never migrated (no schema_migrations table) has applied none; any other error is thrown.
 */
export async function migrationStatus(db: Queryable, expected: readonly string[] = migrationNames()): Promise<{ applied: string[]; pending: string[] }> {
  let applied: string[];
  try {
    applied = await appliedMigrations(db);
  } catch (error) {
    if (!isNoSuchTable(error)) throw error;
    applied = [];
  }
  return { applied, pending: expected.filter((name) => !applied.includes(name)) };
}

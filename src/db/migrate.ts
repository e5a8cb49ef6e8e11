import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { Umzug, type UmzugStorage } from 'umzug';
import { migrationsDir } from '../paths.js';
import { isNoSuchTable, isTransient } from './errors.js';
import { connectionOptions, selectRows, type Queryable } from './pool.js';
import type { DatabaseTarget } from './target.js';

/** The migration files, in the order they apply: numbered `NNNN_name.sql`, append-only. */
export function migrationNames(): string[] {
  return readdirSync(migrationsDir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort();
}

/** How long the migration lease lasts unless renewed, and how often its holder renews it. */
const LEASE_SECONDS = 30;
const RENEW_EVERY_MS = 5_000;
/** How long a process waits for another one's migrations before it gives up. */
const WAIT_FOR_LEASE_MS = 10 * 60_000;

/**
 * Applies the pending migrations and returns their names. Two processes starting at once must
 * not both apply them. Neither GET_LOCK nor a row lock held by SELECT ... FOR UPDATE works on a
 * Galera cluster (locks are not replicated: two processes on two nodes each hold "the" lock), so
 * the one row of `schema_lease` is taken by a conditional UPDATE, a write: on one server its row
 * lock serialises the takers, on Galera certification lets exactly one of two racing nodes commit
 * it (the other's UPDATE, retried by the node, then finds the lease held and changes nothing). The
 * holder renews the lease while it works and clears it at the end; a holder that died leaves a
 * lease that expires. Having taken it, a process reads the applied migrations again (umzug does)
 * and applies only those still pending. DDL commits implicitly, so the lease is handled on one
 * connection and the migrations run on another.
 */
export async function migrate(target: DatabaseTarget): Promise<string[]> {
  const leaseConnection = await mysql.createConnection(connectionOptions(target));
  const runConnection = await mysql.createConnection({ ...connectionOptions(target), multipleStatements: true });
  const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  let renewal: NodeJS.Timeout | undefined;
  let held = false;
  try {
    await retryConflicts(() =>
      leaseConnection.query(
        `CREATE TABLE IF NOT EXISTS schema_lease (
           id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
           holder VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NULL,
           expires_at DATETIME(6) NULL,
           bumps BIGINT UNSIGNED NOT NULL DEFAULT 0
         ) ENGINE=InnoDB`,
      ),
    );
    await retryConflicts(() => leaseConnection.query('INSERT IGNORE INTO schema_lease (id) VALUES (1)'));
    await takeLease(leaseConnection, holder);
    held = true;
    renewal = setInterval(() => {
      leaseConnection
        .execute(`UPDATE schema_lease SET expires_at = UTC_TIMESTAMP(6) + INTERVAL ${LEASE_SECONDS} SECOND WHERE id = 1 AND holder = ?`, [holder])
        .catch(() => undefined); // a renewal lost to a conflict is made again at the next tick
    }, RENEW_EVERY_MS);

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
    return applied.map((migration) => migration.name);
  } finally {
    clearInterval(renewal);
    if (held) {
      await retryConflicts(() => leaseConnection.execute('UPDATE schema_lease SET holder = NULL, expires_at = NULL WHERE id = 1 AND holder = ?', [holder])).catch(() => undefined);
    }
    await runConnection.end().catch(() => undefined);
    await leaseConnection.end().catch(() => undefined);
  }
}

/** Waits until this process holds the migration lease (free, or expired). */
async function takeLease(connection: mysql.Connection, holder: string): Promise<void> {
  const deadline = Date.now() + WAIT_FOR_LEASE_MS;
  for (;;) {
    try {
      const [result] = await connection.execute(
        `UPDATE schema_lease SET holder = ?, expires_at = UTC_TIMESTAMP(6) + INTERVAL ${LEASE_SECONDS} SECOND
          WHERE id = 1 AND (holder IS NULL OR expires_at < UTC_TIMESTAMP(6))`,
        [holder],
      );
      if ((result as mysql.ResultSetHeader).affectedRows === 1) return;
    } catch (error) {
      // Lost certification to another node's taking of the lease: it holds it; wait.
      if (!isTransient(error)) throw error;
    }
    if (Date.now() > deadline) throw new Error(`another process has held the migration lease (schema_lease) for ${WAIT_FOR_LEASE_MS / 60_000} minutes`);
    await sleep(100 + Math.random() * 200);
  }
}

/** Runs a statement again when it lost a deadlock or Galera certification (two nodes creating the lease row at once). */
async function retryConflicts<T>(statement: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await statement();
    } catch (error) {
      if (!isTransient(error) || attempt >= 20) throw error;
      await sleep(Math.random() * 50 * attempt);
    }
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

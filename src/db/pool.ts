import mysql from 'mysql2/promise';
import { isConnectionLost } from './errors.js';
import type { DatabaseTarget } from './target.js';

export type Pool = mysql.Pool;
export type Connection = mysql.PoolConnection;
/** Anything a store function can run SQL on: the pool itself or one connection of it. */
export type Queryable = mysql.Pool | mysql.PoolConnection | mysql.Connection;

export interface PoolOptions {
  /**
   * On a Galera node: the wsrep_sync_wait every connection sets, so that its reads (and the
   * transactions it starts) first wait until the node has applied every write the cluster had
   * committed when they were sent: a write acknowledged through one node is seen by the next
   * read through any other. Undefined: not set (not a Galera node).
   */
  wsrepSyncWait?: number | undefined;
}

/**
 * `queueLimit`: how many requests may wait for a free connection (0: no limit). Past it a request
 * is answered 503 at once (mysql2's "Queue limit reached."), rather than waiting behind a pool that
 * a slow or stuck database has used up.
 */
export function createPool(target: DatabaseTarget, connectionLimit: number, queueLimit = 0, options: PoolOptions = {}): Pool {
  const pool = mysql.createPool({
    ...connectionOptions(target),
    connectionLimit,
    queueLimit,
    // Connections idle this long are closed, so a restarted server is reconnected cleanly.
    maxIdle: connectionLimit,
    idleTimeout: 60_000,
    enableKeepAlive: true,
    // Several statements in one round trip (src/db/batch.ts): a save's lock and clock in one, its
    // rows and COMMIT in another. Values are still `?` placeholders only (no SQL is built from input).
    multipleStatements: true,
  });
  // READ COMMITTED: every statement sees the latest committed rows, and a locking read of a head
  // row that does not exist yet takes no gap lock (fewer deadlocks between first saves).
  pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
    connection.query("SET time_zone = '+00:00'");
    if (options.wsrepSyncWait !== undefined) connection.query(`SET SESSION wsrep_sync_wait = ${Number(options.wsrepSyncWait)}`);
  });
  return pool;
}

export function connectionOptions(target: DatabaseTarget): mysql.ConnectionOptions {
  return {
    ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
    user: target.user,
    password: target.password,
    database: target.database,
    charset: 'utf8mb4_bin',
    // DATETIME(6) as text: a JavaScript Date would drop the microseconds.
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: false,
    timezone: 'Z',
    // No stack trace captured on every statement to decorate a possible error (mysql2/promise's
    // default): it was 6% of a small save's CPU (bench/PROFILE.md). Errors are told apart by code.
    trace: false,
  };
}

/**
 * Statements run as prepared statements (mysql2 caches them per connection): the binary protocol
 * is measurably cheaper per round trip than text queries, and a Buffer travels as its raw bytes
 * rather than as hex text twice its size (which could exceed max_allowed_packet).
 */
export async function selectRows<T>(db: Queryable, sql: string, values: unknown[]): Promise<T[]> {
  try {
    const [rows] = await db.execute(sql, values as mysql.ExecuteValues[]);
    return rows as T[];
  } catch (error) {
    // Run on the pool, a read that picked a connection which had died (its server restarted, a
    // Galera node rejoined) is run once more on another: reading twice is harmless. A server that
    // is really gone fails the second attempt as fast as the first.
    if (!isPool(db) || !isConnectionLost(error)) throw error;
    const [rows] = await db.execute(sql, values as mysql.ExecuteValues[]);
    return rows as T[];
  }
}

function isPool(db: Queryable): db is mysql.Pool {
  return 'getConnection' in db;
}

export async function execute(db: Queryable, sql: string, values: unknown[]): Promise<mysql.ResultSetHeader> {
  const [result] = await db.execute(sql, values as mysql.ExecuteValues[]);
  return result as mysql.ResultSetHeader;
}

/** MariaDB error numbers this service reacts to. */
const ER_DUP_ENTRY = 1062;
const ER_LOCK_DEADLOCK = 1213;
const ER_LOCK_WAIT_TIMEOUT = 1205;
const ER_NO_SUCH_TABLE = 1146;
/** Galera: the transaction lost certification to a conflicting one on another node. */
const ER_LOCK_DEADLOCK_GALERA_MESSAGE = /WSREP detected deadlock|certification/i;

function errno(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'errno' in error ? Number(error.errno) : undefined;
}

export function isDuplicateKey(error: unknown): boolean {
  return errno(error) === ER_DUP_ENTRY;
}

/** A table the statement names does not exist (e.g. the migrations table of a database never migrated). */
export function isNoSuchTable(error: unknown): boolean {
  return errno(error) === ER_NO_SUCH_TABLE;
}

/** Errors after which the same transaction, run again from the start, may well succeed. */
export function isTransient(error: unknown): boolean {
  const code = errno(error);
  if (code === ER_LOCK_DEADLOCK || code === ER_LOCK_WAIT_TIMEOUT) return true;
  return error instanceof Error && ER_LOCK_DEADLOCK_GALERA_MESSAGE.test(error.message);
}

/**
 * Thrown inside a transaction to have withTransaction run it again from the start: e.g. two
 * first saves of one session raced and this one lost the insert of the head row.
 */
export class RetryTransaction extends Error {}

/** Socket errors that mean the server is gone or was never there. */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ENOENT', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);
/** mysql2's words for a statement given to a connection that had already died (a pooled one whose server restarted). */
const CLOSED_CONNECTION_MESSAGE = /Can't add new command when connection is in closed state|Connection lost|connection is in closed state/i;

/**
 * The connection is gone: refused, reset, timed out, closed under the statement. mysql2 marks
 * `fatal` most such errors; a statement given to a connection that had already closed gets a
 * plain Error with only its message to tell, and is caught here too.
 */
export function isConnectionLost(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { fatal, code, message } = error as { fatal?: unknown; code?: unknown; message?: unknown };
  if (fatal === true) return true;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return errno(error) === undefined && typeof message === 'string' && CLOSED_CONNECTION_MESSAGE.test(message);
}

/** Galera: ER_UNKNOWN_COM_ERROR "WSREP has not yet prepared node for application use" (joining, or outside the primary component). */
export function isNodeNotReady(error: unknown): boolean {
  return errno(error) === 1047;
}

/** withTransaction ran out of retries on a transaction that kept conflicting (RetryTransaction). */
export class TransactionStillConflicting extends Error {}

/**
 * The connection failed while COMMIT was under way: the server may have committed or not, and
 * nothing on this side can tell. Never retried as a failure (that could write twice); the client
 * learns it must retry, which is safe with its Idempotency-Key.
 */
export class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super(`the connection was lost during COMMIT: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

/** Why the database cannot serve a request now, and when a client may sensibly try again. */
export interface DatabaseUnavailable {
  /** For the client: what happened, in a sentence. */
  detail: string;
  retryAfterSeconds: number;
}

/** Contention clears in moments; a server that went away or filled up takes longer. */
const RETRY_BUSY_SECONDS = 1;
const RETRY_DOWN_SECONDS = 5;

/** Server errors that say the server cannot take this work now, not that the request is wrong. */
const UNAVAILABLE_ERRNOS: ReadonlyMap<number, DatabaseUnavailable> = new Map([
  [ER_LOCK_DEADLOCK, { detail: 'the write kept deadlocking with concurrent writes', retryAfterSeconds: RETRY_BUSY_SECONDS }],
  [ER_LOCK_WAIT_TIMEOUT, { detail: 'the write timed out waiting for a lock held by concurrent writes', retryAfterSeconds: RETRY_BUSY_SECONDS }],
  [1969, { detail: 'the database took too long to answer (max_statement_time)', retryAfterSeconds: RETRY_BUSY_SECONDS }], // ER_STATEMENT_TIMEOUT
  [1040, { detail: 'the database has no connection to spare', retryAfterSeconds: RETRY_BUSY_SECONDS }], // ER_CON_COUNT_ERROR
  [1053, { detail: 'the database is shutting down', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_SERVER_SHUTDOWN
  [1927, { detail: 'the database closed the connection', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_CONNECTION_KILLED
  [1047, { detail: 'the database node is not ready (Galera: WSREP has not yet prepared node)', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_UNKNOWN_COM_ERROR
  // Galera: the write could not be replicated (the node left the primary component under it); not committed.
  [1180, { detail: 'the database could not commit the write (a cluster node left under it)', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_ERROR_DURING_COMMIT
  [1290, { detail: 'the database is read-only for now (failover or maintenance)', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_OPTION_PREVENTS_STATEMENT
  [1021, { detail: 'the database has no disk space left', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_DISK_FULL
  [1114, { detail: 'the database has no disk space left (table full)', retryAfterSeconds: RETRY_DOWN_SECONDS }], // ER_RECORD_FILE_FULL
]);
/** A write that failed on a full disk reports errno 28 (ENOSPC) inside various server errors. */
const DISK_FULL_MESSAGE = /\b(?:errno|Errcode|error):? 28\b|No space left on device/i;
/** mysql2's own pool errors: no connection can be had (too many waiting; shutting down). */
const POOL_MESSAGES: ReadonlyMap<string, DatabaseUnavailable> = new Map([
  ['Queue limit reached.', { detail: 'no database connection is free', retryAfterSeconds: RETRY_BUSY_SECONDS }],
  ['Pool is closed.', { detail: 'the server is shutting down', retryAfterSeconds: RETRY_DOWN_SECONDS }],
]);

/**
 * The one reading of driver errors as "the database is unavailable": connection loss (refused,
 * reset, timed out, no socket; mysql2 marks every such error `fatal`), a commit whose outcome is
 * unknown, pool exhaustion, lock wait and deadlock that outlived the retries, a node not ready,
 * read-only or out of disk. Undefined for anything else (a bug, answered 500).
 */
export function databaseUnavailable(error: unknown): DatabaseUnavailable | undefined {
  if (error instanceof CommitOutcomeUnknown) {
    return {
      detail:
        'the connection to the database failed while this write was being committed, so it may or may not be stored; ' +
        'retry it with the same Idempotency-Key: a stored write answers as it did the first time, an unstored one is written once',
      retryAfterSeconds: RETRY_DOWN_SECONDS,
    };
  }
  if (error instanceof TransactionStillConflicting) {
    return { detail: 'the write kept conflicting with concurrent writes', retryAfterSeconds: RETRY_BUSY_SECONDS };
  }
  if (typeof error !== 'object' || error === null) return undefined;
  const known = UNAVAILABLE_ERRNOS.get(errno(error) ?? 0);
  if (known) return known;
  const { message, code } = error as { message?: unknown; code?: unknown };
  if (typeof code === 'string' && code.startsWith('ER_') && typeof message === 'string' && DISK_FULL_MESSAGE.test(message)) {
    return { detail: 'the database has no disk space left', retryAfterSeconds: RETRY_DOWN_SECONDS };
  }
  if (isConnectionLost(error)) {
    return { detail: `the database is not reachable (${typeof code === 'string' ? code : 'connection lost'})`, retryAfterSeconds: RETRY_DOWN_SECONDS };
  }
  return typeof message === 'string' ? POOL_MESSAGES.get(message) : undefined;
}

/** MariaDB error numbers this service reacts to. */
const ER_DUP_ENTRY = 1062;
const ER_LOCK_DEADLOCK = 1213;
const ER_LOCK_WAIT_TIMEOUT = 1205;
/** Galera: the transaction lost certification to a conflicting one on another node. */
const ER_LOCK_DEADLOCK_GALERA_MESSAGE = /WSREP detected deadlock|certification/i;

function errno(error: unknown): number | undefined {
  return typeof error === 'object' && error !== null && 'errno' in error ? Number(error.errno) : undefined;
}

export function isDuplicateKey(error: unknown): boolean {
  return errno(error) === ER_DUP_ENTRY;
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

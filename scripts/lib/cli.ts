import { loadConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/openDatabase.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';

/** A mistake in how a script was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

/**
 * Runs `work` with a pool on the service's database, as the server finds it (DATABASE_URL, or the
 * managed MariaDB, started if needed and then stopped again), migrated.
 */
export async function withServiceDatabase<T>(work: (pool: Pool) => Promise<T>): Promise<T> {
  const { target, local } = await openDatabase(loadConfig().database, createLogger('warn'));
  try {
    await migrate(target);
    const pool = createPool(target, 2);
    try {
      return await work(pool);
    } finally {
      await pool.end();
    }
  } finally {
    await local?.stop();
  }
}

/** Runs a script's main and exits with its code: 2 and the usage for a UsageError, 1 for a failure. */
export function runMain(name: string, main: () => Promise<number>, usage?: string): void {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n${usage ?? ''}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name} failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { migrate } from '../../src/db/migrate.js';
import { openDatabase } from '../../src/db/openDatabase.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { createLogger } from '../../src/log.js';

/** A mistake in how a script was called: printed with the usage, exit code 2. */
export class UsageError extends Error {}

const HELP = { help: { type: 'boolean', default: false } } as const;

/**
 * A script's options and positional arguments (node:util's parseArgs), with a --help of its own:
 * undefined once the usage has been printed for it. An unknown option, or one without its value,
 * is a UsageError (exit code 2 with the usage) rather than a stack trace.
 */
export function scriptArguments<const O extends NonNullable<ParseArgsConfig['options']>>(
  usage: string,
  options: O,
): ReturnType<typeof parseArgs<{ allowPositionals: true; options: O }>> | undefined {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { ...options, ...HELP } });
  } catch (error) {
    // An unknown option, or a value missing or given to a flag: the caller's mistake, said with the usage.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_')) throw new UsageError((error as Error).message);
    throw error;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  return parsed as ReturnType<typeof parseArgs<{ allowPositionals: true; options: O }>>;
}

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

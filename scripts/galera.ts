/**
 * Starts a 3-node MariaDB Galera cluster on loopback and keeps it running until Ctrl-C (or
 * SIGTERM), for trying a cluster deployment out or benchmarking one: it prints each node's
 * DATABASE_URL (the database is created on the cluster) to give one API process each.
 *
 *   npm run galera [-- --dir <folder>] [--nodes 3] [--database session_store]
 *
 * The nodes' files live under <folder> (default: .data/galera); run as root, the Debian packages
 * it needs (galera-4, rsync, mariadb-server) are installed with apt-get when missing. The folder is
 * kept: the next start initialises it again from the first node.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { runMain, UsageError } from './lib/cli.js';
import { startGaleraCluster } from './lib/galeraCluster.js';

const USAGE = 'usage: npm run galera [-- --dir <folder>] [--nodes <n>] [--database <name>]';

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ options: { dir: { type: 'string' }, nodes: { type: 'string' }, database: { type: 'string' } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const size = Number(values.nodes ?? 3);
  if (!Number.isInteger(size) || size < 1 || size > 9) throw new UsageError('--nodes must be a whole number from 1 to 9');
  const database = values.database ?? 'session_store';
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new UsageError('--database: letters, digits and _ only');
  const baseDir = values.dir ?? join(projectRoot, '.data', 'galera');
  // Every start is a fresh cluster: a folder left by a cluster stopped with kill -9 cannot bootstrap safely.
  rmSync(baseDir, { recursive: true, force: true });
  const cluster = await startGaleraCluster({ baseDir, size, logger: createLogger('info'), providerOptions: '' });
  await cluster.query(0, `CREATE DATABASE IF NOT EXISTS ${database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  for (const [index, node] of cluster.nodes.entries()) {
    process.stdout.write(`${node.name}: DATABASE_URL=${cluster.url(index, database)}  (log: ${node.errorLog})\n`);
  }
  process.stdout.write('running; Ctrl-C stops the cluster\n');
  // A pending promise does not keep Node running: the timer does, until a signal comes.
  const keepAlive = setInterval(() => undefined, 60_000);
  const signal = await new Promise<string>((resolve) => {
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.once(name, () => resolve(name));
  });
  clearInterval(keepAlive);
  process.stdout.write(`${signal}: stopping the cluster\n`);
  await cluster.stop();
  return 0;
}

runMain('galera', main, USAGE);

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGaleraCluster, type GaleraCluster } from '../../scripts/lib/galeraCluster.js';
import { createLogger } from '../../src/log.js';

/**
 * The one 3-node Galera cluster of a test run: started by the first test that asks for it (the
 * Galera tests only; a run without them starts none), shared by all of them, stopped and removed
 * by the root hooks at the end of the run. Its folder is under the system's temporary folder.
 */
let started: Promise<GaleraCluster> | undefined;

export function galeraCluster(): Promise<GaleraCluster> {
  started ??= startGaleraCluster({
    baseDir: mkdtempSync(join(tmpdir(), 'session-store-galera-')),
    size: 3,
    logger: createLogger(process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn'),
  });
  return started;
}

export async function stopGaleraCluster(): Promise<void> {
  if (!started) return;
  const cluster = await started.catch(() => undefined);
  started = undefined;
  await cluster?.stop({ remove: true });
}

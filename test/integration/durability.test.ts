import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { digestState } from '../../src/core/json.js';
import { migrate } from '../../src/db/migrate.js';
import { startLocalMariadb } from '../../src/db/localMariadb.js';
import { createPool } from '../../src/db/pool.js';
import { silentLogger } from '../../src/log.js';
import { projectRoot } from '../../src/paths.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { startTestServer } from '../helpers/api.js';
import { waitFor } from '../helpers/waitFor.js';

describe('durability: a crash of the database loses no acknowledged save', function () {
  this.timeout(300_000);

  it('every save answered before MariaDB is SIGKILLed is there after it restarts, and replay verifies', async () => {
    // A MariaDB of its own (inside the project, so the mysql user can reach it when run as root).
    mkdirSync(join(projectRoot, '.data'), { recursive: true });
    const dataDir = mkdtempSync(join(projectRoot, '.data', 'crash-'));
    const options = { dataDir, autoInstall: false, logger: silentLogger };
    let local = await startLocalMariadb(options);
    try {
      await local.ensureDatabase('crash');
      await migrate(local.target('crash'));
      let pool = createPool(local.target('crash'), 4);
      const server = await startTestServer(pool);
      const acknowledged = new Map<number, string>();
      let stop = false;
      let killed = false;
      // Writers that had a save refused after the kill: the crash reached them mid-stream.
      const cutOff = new Set<number>();
      const writers = Array.from({ length: 4 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const sentAfterKill = killed;
          try {
            const state = { writer: w, i, note: 'x'.repeat(500) };
            const response = await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'crash-test' }, json: state });
            if (response.status === 201) acknowledged.set(response.body.version, digestState(state).hash.toString('hex'));
            else if (sentAfterKill) cutOff.add(w);
          } catch {
            // the database went away mid-request: that save was not acknowledged
            if (sentAfterKill) cutOff.add(w);
          }
        }
      });
      await waitFor(() => acknowledged.size >= 20, { what: '20 acknowledged saves before the crash', timeout: 60_000 });
      const pid = Number(readFileSync(join(dataDir, 'run', 'mariadb.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
      killed = true;
      await waitFor(() => cutOff.size === 4, { what: 'every writer to have a save refused by the killed database' });
      stop = true;
      await Promise.all(writers);
      await server.close();
      await pool.end().catch(() => undefined);
      expect(acknowledged.size).to.be.greaterThan(5);

      local = await startLocalMariadb(options); // InnoDB crash recovery
      pool = createPool(local.target('crash'), 2);
      try {
        const [rows] = await pool.query('SELECT version, state_hash FROM events WHERE session_id = ?', ['crash-test']);
        const stored = new Map((rows as Array<{ version: number; state_hash: Buffer }>).map((row) => [row.version, row.state_hash.toString('hex')]));
        for (const [version, hash] of acknowledged) expect(stored.get(version), `acknowledged version ${version}`).to.equal(hash);
        await verifyHistory(pool, 'default', 'crash-test');
      } finally {
        await pool.end();
      }
    } finally {
      await local.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

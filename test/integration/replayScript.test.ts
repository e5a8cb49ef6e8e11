import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { projectRoot } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

describe('replay script (npm run replay)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  const replay = (...args: string[]) =>
    run(process.execPath, [join(projectRoot, 'dist/scripts/replay.js'), ...args], { env: { ...process.env, DATABASE_URL: formatDatabaseUrl(db.target) } });

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool, { checkpointEvery: 3 });
    for (let i = 1; i <= 8; i++) {
      await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'ops' }, query: { message: `turn ${i}` }, json: { turn: i, notes: 'n'.repeat(500), log: Array.from({ length: i }, (_, k) => `line ${k}`) } });
    }
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('prints every version with its time, kind, message and patch, and --verify checks the whole chain', async () => {
    const { stdout, stderr } = await replay('ops', '--verify');
    expect(stdout.match(/^v\d+ /gm)).to.have.length(8);
    expect(stdout).to.match(/^v8 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}save {2}\d+ op\(s\).*"turn 8"$/m);
    expect(stdout).to.include('add /log/7 "line 7"');
    expect(stderr).to.match(/verified: 8 version\(s\), \d+ checkpoint\(s\)/);
    const json = JSON.parse((await replay('ops', '--to', '3', '--json')).stdout) as Array<{ version: number }>;
    expect(json.map((entry) => entry.version)).to.deep.equal([1, 2, 3]);
  });

  it('--json prints exactly the patch stored at each version, versions stored whole included', async () => {
    const printed = JSON.parse((await replay('ops', '--json')).stdout) as Array<{ version: number; patch: unknown }>;
    expect(printed.map((entry) => entry.version)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const entry of printed) {
      const stored = await server.api.request('GET', '/v1/sessions/{sid}/versions/{n}', { params: { sid: 'ops', n: entry.version } });
      expect(entry.patch, `version ${entry.version}`).to.deep.equal(stored.body.patch);
    }
    // Version 1 is stored whole: its patch is the first state itself, not what the state became later.
    expect(printed[0]!.patch).to.deep.equal([{ op: 'add', path: '', value: { turn: 1, notes: 'n'.repeat(500), log: ['line 0'] } }]);

    // A value a patch adds, changed by a later patch, prints as it was added.
    for (const n of [1, 2]) {
      await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'objects' }, json: { notes: 'n'.repeat(500), items: n === 1 ? [] : [{ n: 1 }] } });
    }
    await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'objects' }, json: { notes: 'n'.repeat(500), items: [{ n: 2 }] } });
    const objects = JSON.parse((await replay('objects', '--json')).stdout) as Array<{ version: number; patch: unknown }>;
    expect(objects[1]!.patch).to.deep.equal([{ op: 'add', path: '/items/0', value: { n: 1 } }]);
  });

  it('exits non-zero at the first mismatch, saying which version and what disagrees', async () => {
    await db.pool.query("UPDATE events SET state_hash = UNHEX(SHA2('forged', 256)) WHERE session_id = 'ops' AND version = 5");
    const failed = (await replay('ops', '--verify').catch((error: unknown) => error)) as { code: number; stderr: string; stdout: string };
    expect(failed.code).to.equal(1);
    expect(failed.stderr).to.match(/MISMATCH in session ops at version 5: /);
    expect(failed.stdout.match(/^v\d+ /gm)).to.have.length(4);
  });

  it('says when the session does not exist, and refuses bad arguments', async () => {
    const missing = (await replay('nobody').catch((error: unknown) => error)) as { code: number; stderr: string };
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/session nobody does not exist/);
    const bad = (await replay('ops', '--to', 'x').catch((error: unknown) => error)) as { code: number };
    expect(bad.code).to.equal(2);
  });
});

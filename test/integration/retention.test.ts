import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKey } from '../../src/access/keys.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { DEFAULT_TRANSACTION_OPTIONS } from '../../src/db/transaction.js';
import { projectRoot } from '../../src/paths.js';
import { compactSession } from '../../src/retention/compact.js';
import { createRetentionSweeper, sweepRetention } from '../../src/retention/sweeper.js';
import { silentLogger } from '../../src/log.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { releaseCompactionLease, takeCompactionLease } from '../../src/store/compactionLeases.js';
import { apiClient, startTestServer, type Api, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

/** A state that changes a little each version and is sometimes rewritten whole, so both patches and whole versions are compacted. */
function stateAt(n: number, writer = 'w'): unknown {
  if (n % 9 === 0) return { rewritten: n, writer, body: 'r'.repeat(300 + n) };
  return { n, writer, notes: 'n'.repeat(400), log: Array.from({ length: n % 40 }, (_, k) => `line ${k} of ${n}`) };
}

describe('retention and compaction', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let server: TestServer;
  let api: Api;
  let admin: Api;
  const ctx = () => ({ pool: db.pool, work: server.app.store.work, transactions: DEFAULT_TRANSACTION_OPTIONS });
  const save = (sid: string, state: unknown) => api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid }, json: state });
  const saved = new Map<string, string[]>();
  async function history(sid: string, count: number): Promise<void> {
    const texts: string[] = [];
    for (let n = 1; n <= count; n++) {
      const state = stateAt(n);
      expect((await save(sid, state)).status).to.equal(201);
      texts.push(JSON.stringify(state));
    }
    saved.set(sid, texts);
  }
  const rows = async (table: string, sid: string): Promise<number[]> => {
    const [found] = await db.pool.query(`SELECT version FROM ${table} WHERE tenant = 'default' AND session_id = ? ORDER BY version`, [sid]);
    return (found as Array<{ version: number }>).map((row) => row.version);
  };

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool, { checkpointEvery: 4 });
    api = server.api;
    admin = apiClient(server.baseUrl, (await createKey(db.pool, { tenant: 'default', role: 'admin' })).token);
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('keeps policies per tenant (admin) and per session, over the service default, which keeps everything', async () => {
    expect((await admin.request('GET', '/v1/retention')).body).to.deep.equal({ source: 'service' });
    expect((await api.request('GET', '/v1/retention')).status).to.equal(403);
    expect((await api.request('PUT', '/v1/retention', { json: { keep_versions: 5 } })).status).to.equal(403);
    expect((await admin.request('PUT', '/v1/retention', { json: { keep_versions: 5, keep_days: 30 } })).body).to.deep.equal({
      source: 'tenant',
      keep_versions: 5,
      keep_days: 30,
    });
    expect((await admin.request('PUT', '/v1/retention', { json: { keep_versions: 0 } })).status).to.equal(400);

    await save('policy', { a: 1 });
    expect((await api.request('GET', '/v1/sessions/{sid}/retention', { params: { sid: 'policy' } })).body).to.deep.equal({
      session_id: 'policy',
      source: 'tenant',
      keep_versions: 5,
      keep_days: 30,
      first_version: 1,
      head_version: 1,
    });
    // An empty policy of its own keeps all of the session's history, whatever the tenant's.
    const own = await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'policy' }, json: {} });
    expect(own.body).to.deep.include({ source: 'session' }).and.not.have.property('keep_versions');
    expect((await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'nobody' }, json: {} })).status).to.equal(404);
    expect((await api.request('DELETE', '/v1/sessions/{sid}/retention', { params: { sid: 'policy' } })).body).to.deep.include({ source: 'tenant' });
    expect((await admin.request('DELETE', '/v1/retention')).body).to.deep.equal({ source: 'service' });
    // Another tenant sees none of this.
    const other = apiClient(server.baseUrl, (await createKey(db.pool, { tenant: 'other', role: 'admin' })).token);
    expect((await other.request('GET', '/v1/sessions/{sid}/retention', { params: { sid: 'policy' } })).status).to.equal(404);
  });

  it('compacts to the oldest kept version: every kept version loads byte for byte, --verify passes from the base, the rest answers 410', async () => {
    await history('kept', 40);
    const instants = (await api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'kept' }, query: { limit: 1000 } })).body.items
      .map((item: { version: number; created_at: string }) => [item.version, item.created_at])
      .reverse() as Array<[number, string]>;
    await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'kept' }, json: { keep_versions: 12 } });

    const dry = await sweepRetention(ctx(), { serviceRules: {}, batchRows: 5, tenant: 'default', sessionId: 'kept', dryRun: true });
    expect(dry).to.have.length(1);
    expect(dry[0]).to.deep.include({ firstVersion: 29, eventsRemoved: 28, dryRun: true });
    expect(await rows('events', 'kept')).to.have.length(40);

    const [result] = await sweepRetention(ctx(), { serviceRules: {}, batchRows: 5, tenant: 'default' });
    expect(result).to.deep.include({ sessionId: 'kept', firstVersionBefore: 1, firstVersion: 29, headVersion: 40, eventsRemoved: 28 });
    expect(result!.checkpointsRemoved).to.be.greaterThan(5);
    expect(result!.bytesReclaimed).to.be.greaterThan(2_000);
    expect((await rows('events', 'kept'))[0]).to.equal(29);
    expect((await rows('checkpoints', 'kept'))[0]).to.equal(29);
    // A second pass finds nothing more to do.
    expect(await sweepRetention(ctx(), { serviceRules: {}, batchRows: 5, tenant: 'default' })).to.deep.equal([]);

    for (let n = 29; n <= 40; n++) {
      const loaded = await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { version: n } });
      expect(loaded.text, `version ${n}`).to.equal(saved.get('kept')![n - 1]);
      const at = await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { at: instants[n - 1]![1] } });
      expect(at.text, `at version ${n}'s instant`).to.equal(saved.get('kept')![n - 1]);
    }
    const page = await api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'kept' }, query: { limit: 1000 } });
    expect(page.body.first_version).to.equal(29);
    expect(page.body.items.map((item: { version: number }) => item.version)).to.deep.equal(Array.from({ length: 12 }, (_, i) => 40 - i));
    expect(page.body.next).to.equal(null);

    const gone = [
      await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { version: 28 } }),
      await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { version: 1 } }),
      await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { at: instants[10]![1] } }),
      await api.request('GET', '/v1/sessions/{sid}/versions/{n}', { params: { sid: 'kept', n: 3 } }),
      await api.request('GET', '/v1/sessions/{sid}/diff', { params: { sid: 'kept' }, query: { from: 3, to: 35 } }),
      await api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid: 'kept' }, json: { version: 3 } }),
      await api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid: 'kept' }, json: { at: instants[10]![1] } }),
      await api.request('POST', '/v1/sessions/{sid}/fork', { params: { sid: 'kept' }, json: { to: 'kept-fork', version: 28 } }),
      await api.request('GET', '/v1/sessions/{sid}/watch', { params: { sid: 'kept' }, query: { after: 5 } }),
    ];
    for (const answer of gone) {
      expect(answer.status, answer.text).to.equal(410);
      expect(answer.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(answer.body.first_version).to.equal(29);
      expect(answer.body.detail).to.include('starts at version 29');
    }
    // Before the session existed is still "no such state", not "removed".
    expect((await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { at: '2000-01-01T00:00:00Z' } })).status).to.equal(404);
    // The base itself, and what follows, still work everywhere.
    expect((await api.request('GET', '/v1/sessions/{sid}/versions/{n}', { params: { sid: 'kept', n: 29 } })).body.patch[0].op).to.equal('replace');
    expect((await api.request('GET', '/v1/sessions/{sid}/diff', { params: { sid: 'kept' }, query: { from: 29, to: 40 } })).status).to.equal(200);
    expect((await api.request('POST', '/v1/sessions/{sid}/fork', { params: { sid: 'kept' }, json: { to: 'kept-fork', version: 29 } })).status).to.equal(201);
    expect((await api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid: 'kept' }, json: { version: 30 } })).status).to.equal(201);

    const verified = await verifyHistory(db.pool, 'default', 'kept');
    expect(verified).to.deep.include({ firstVersion: 29, versions: 13 });
    const { stderr } = await run(process.execPath, [join(projectRoot, 'dist/scripts/replay.js'), 'kept', '--verify'], {
      env: { ...process.env, DATABASE_URL: formatDatabaseUrl(db.target) },
    });
    expect(stderr).to.match(/verified: 13 version\(s\), \d+ checkpoint\(s\), hashes and chain intact, from version 29 /);
  });

  it('finds a compacted history edited: the chain link recorded for the base is checked', async () => {
    await history('edited', 12);
    await compactSession(ctx(), 'default', 'edited', { keepVersions: 4 }, { batchRows: 100 });
    await db.pool.query("UPDATE events SET prev_hash = UNHEX(REPEAT('ab', 32)) WHERE tenant = 'default' AND session_id = 'edited' AND version = 9");
    let failure: Error | undefined;
    await verifyHistory(db.pool, 'default', 'edited').catch((error: Error) => (failure = error));
    expect(failure?.message).to.match(/^version 9: prev_hash does not continue the hash chain/);
  });

  it('loses no save made while a compaction runs, and leaves a history that verifies', async () => {
    await history('racing', 120);
    const compaction = compactSession(ctx(), 'default', 'racing', { keepVersions: 10 }, { batchRows: 3, pauseMs: 2 });
    const acknowledged: Array<{ version: number; text: string }> = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (writer) => {
        for (let i = 0; i < 15; i++) {
          const state = stateAt(200 + i * 4 + writer, `writer ${writer}`);
          const answer = await save('racing', state);
          expect(answer.status).to.equal(201);
          acknowledged.push({ version: answer.body.version, text: JSON.stringify(state) });
        }
      }),
    );
    const result = await compaction;
    expect(result.firstVersion).to.be.within(111, 180);
    const head = (await api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'racing' }, query: { limit: 1 } })).body.items[0].version;
    expect(head).to.equal(180);
    expect(new Set(acknowledged.map((a) => a.version)).size).to.equal(60);
    for (const { version, text } of acknowledged) {
      const loaded = await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'racing' }, query: { version } });
      expect(loaded.text, `version ${version}`).to.equal(text);
    }
    expect(await verifyHistory(db.pool, 'default', 'racing')).to.deep.include({ firstVersion: result.firstVersion, versions: 181 - result.firstVersion });
  });

  it('never lets two sweepers compact one session at once: the lease row decides, and an expired lease is taken over', async () => {
    await history('leased', 20);
    expect(await takeCompactionLease(db.pool, 'default', 'leased', 'process-a', 60)).to.equal(true);
    expect(await takeCompactionLease(db.pool, 'default', 'leased', 'process-b', 60)).to.equal(false);
    const refused = await compactSession(ctx(), 'default', 'leased', { keepVersions: 5 }, { batchRows: 100, holder: 'process-b' });
    expect(refused.skipped).to.equal('busy');
    expect(await rows('events', 'leased')).to.have.length(20);
    await releaseCompactionLease(db.pool, 'default', 'leased', 'process-a');

    // A holder that died leaves a lease that expires; the next sweeper takes it over.
    expect(await takeCompactionLease(db.pool, 'default', 'leased', 'process-dead', 1)).to.equal(true);
    await db.pool.query("UPDATE compaction_leases SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE session_id = 'leased'");
    const done = await compactSession(ctx(), 'default', 'leased', { keepVersions: 5 }, { batchRows: 100, holder: 'process-b' });
    expect(done).to.deep.include({ firstVersion: 16, eventsRemoved: 15 });

    // Many sweepers over many sessions at once: each session is compacted once, by one of them.
    for (let s = 0; s < 6; s++) await history(`many-${s}`, 15);
    await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'leased' }, json: {} });
    await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'kept' }, json: {} });
    const sweeps = await Promise.all(
      ['s1', 's2', 's3'].map((holder) => sweepRetention(ctx(), { serviceRules: { keepVersions: 5 }, batchRows: 2, pauseMs: 1, holder, tenant: 'default' })),
    );
    const compacted = sweeps.flat().filter((r) => r.sessionId.startsWith('many-'));
    const removed = new Map<string, number>();
    for (const r of compacted) removed.set(r.sessionId, (removed.get(r.sessionId) ?? 0) + r.eventsRemoved);
    for (let s = 0; s < 6; s++) {
      expect(removed.get(`many-${s}`), `many-${s}`).to.equal(10);
      expect(await rows('events', `many-${s}`)).to.deep.equal([11, 12, 13, 14, 15]);
      await verifyHistory(db.pool, 'default', `many-${s}`);
    }
    const [leases] = await db.pool.query('SELECT COUNT(*) AS n FROM compaction_leases');
    expect((leases as Array<{ n: number }>)[0]!.n).to.equal(0);
  });

  it('keep_days keeps the versions of the last days, and the head whatever its age', async () => {
    await history('aged', 10);
    // Versions 1-6 are made older than three days.
    await db.pool.query("UPDATE events SET created_at = created_at - INTERVAL 5 DAY WHERE tenant = 'default' AND session_id = 'aged' AND version <= 6");
    expect(await compactSession(ctx(), 'default', 'aged', { keepDays: 3 }, { batchRows: 100 })).to.deep.include({ firstVersion: 7 });
    // Both rules: a version goes only when both let it go.
    await db.pool.query("UPDATE events SET created_at = created_at - INTERVAL 5 DAY WHERE tenant = 'default' AND session_id = 'aged'");
    expect(await compactSession(ctx(), 'default', 'aged', { keepDays: 3, keepVersions: 2 }, { batchRows: 100 })).to.deep.include({ firstVersion: 9 });
    expect(await compactSession(ctx(), 'default', 'aged', { keepDays: 3 }, { batchRows: 100 })).to.deep.include({ firstVersion: 10 });
    // (Its chain no longer verifies: the times were edited behind its back.)
  });

  it('the sweeper applies the service-wide default by itself, every interval, and stops', async () => {
    await history('swept', 12);
    await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'kept' }, json: {} });
    const sweeper = createRetentionSweeper(ctx(), { intervalMs: 50, serviceRules: { keepVersions: 4 }, batchRows: 100, logger: silentLogger });
    sweeper.start();
    try {
      const deadline = Date.now() + 20_000;
      while ((await rows('events', 'swept'))[0] !== 9 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await sweeper.stop();
    }
    expect(await rows('events', 'swept')).to.deep.equal([9, 10, 11, 12]);
    // A session with a policy of its own that keeps everything is left alone.
    expect((await api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'kept' } })).body.first_version).to.equal(29);
  });

  it('npm run compact applies the policies by hand, --dry-run first, printing what it removed and the bytes reclaimed', async () => {
    await history('by-hand', 30);
    await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'by-hand' }, json: { keep_versions: 10 } });
    const compact = (...args: string[]) =>
      run(process.execPath, [join(projectRoot, 'dist/scripts/compact.js'), ...args], { env: { ...process.env, DATABASE_URL: formatDatabaseUrl(db.target) } });
    // A mistake in the command is said with the usage, exit code 2, and does nothing.
    for (const args of [['--keep', '3'], ['--tenant'], ['--session', 'by-hand']]) {
      const refused = await compact(...args).then(() => undefined, (error: { code: number; stderr: string }) => error);
      expect(refused?.code, args.join(' ')).to.equal(2);
      expect(refused!.stderr, args.join(' ')).to.match(/^usage: npm run compact -- /m).and.not.match(/\n\s+at /);
    }
    expect((await compact('--help')).stdout).to.match(/^usage: npm run compact -- /);
    const dry = await compact('--tenant', 'default', '--session', 'by-hand', '--dry-run');
    expect(dry.stdout).to.match(/^default\/by-hand: would remove 20 version\(s\) and \d+ checkpoint\(s\), \d+ B; history now v21\.\.v30 \(was from v1\)$/m);
    expect(await rows('events', 'by-hand')).to.have.length(30);
    const done = await compact('--tenant', 'default');
    expect(done.stdout).to.match(/^default\/by-hand: removed 20 version\(s\)/m);
    expect(done.stdout).to.match(/^compacted 1 session\(s\): 20 version\(s\) and \d+ checkpoint\(s\) removed, [1-9]\d* B reclaimed$/m);
    expect(await rows('events', 'by-hand')).to.have.length(10);
  });

  it('a purge forgets the base: a new session under the id starts at version 1', async () => {
    await history('reborn', 10);
    await compactSession(ctx(), 'default', 'reborn', { keepVersions: 3 }, { batchRows: 100 });
    expect((await api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'reborn' }, query: { purge: true } })).status).to.equal(204);
    await save('reborn', { again: true });
    const page = await api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'reborn' } });
    expect(page.body).to.deep.include({ first_version: 1 });
    expect((await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'reborn' }, query: { version: 1 } })).body).to.deep.equal({ again: true });
  });

  describe('POST /v1/sessions/{sid}/compact: rules applied to one session now', () => {
    const compact = (sid: string, json: unknown, as: Api = api) => as.request('POST', '/v1/sessions/{sid}/compact', { params: { sid }, json });

    it('applies the rules given, once: the kept versions load byte for byte, the rest answers 410, the policy is unchanged, saves go on', async () => {
      await history('now', 20);
      const answer = await compact('now', { keep_versions: 5 });
      expect(answer.status, answer.text).to.equal(200);
      expect(answer.body).to.deep.include({ session_id: 'now', head_version: 20, first_version_before: 1, first_version: 16, events_removed: 15 });
      expect(answer.body.checkpoints_removed).to.be.greaterThan(0);
      expect(answer.body.bytes_reclaimed).to.be.greaterThan(1_000);
      expect(await rows('events', 'now')).to.deep.equal([16, 17, 18, 19, 20]);
      for (let n = 16; n <= 20; n++) {
        expect((await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'now' }, query: { version: n } })).text, `version ${n}`).to.equal(saved.get('now')![n - 1]);
      }
      const gone = await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'now' }, query: { version: 15 } });
      expect(gone.status).to.equal(410);
      expect(gone.body.first_version).to.equal(16);
      // A one-off: the session still has no policy of its own.
      expect((await api.request('GET', '/v1/sessions/{sid}/retention', { params: { sid: 'now' } })).body).to.deep.include({ source: 'service', first_version: 16, head_version: 20 });
      expect((await save('now', { after: 'compaction' })).body.version).to.equal(21);
      expect(await verifyHistory(db.pool, 'default', 'now')).to.deep.include({ firstVersion: 16, versions: 6 });
    });

    it('applies the policy that holds for the session when the body is {}; a policy that keeps everything removes nothing', async () => {
      await history('by-policy', 12);
      expect((await compact('by-policy', {})).body).to.deep.include({ first_version: 1, events_removed: 0, checkpoints_removed: 0 });
      expect(await rows('events', 'by-policy')).to.have.length(12);
      await api.request('PUT', '/v1/sessions/{sid}/retention', { params: { sid: 'by-policy' }, json: { keep_versions: 3 } });
      expect((await compact('by-policy', {})).body).to.deep.include({ first_version_before: 1, first_version: 10, events_removed: 9 });
      // Done already: a second time finds nothing to remove.
      expect((await compact('by-policy', {})).body).to.deep.include({ first_version_before: 10, first_version: 10, events_removed: 0, checkpoints_removed: 0 });
    });

    it('refuses bad rules (400), a read key (403), a session that is not there (404) or deleted (410), and a compaction already running (409), removing nothing', async () => {
      await history('refused', 10);
      for (const body of [{ keep_versions: 0 }, { keep_days: -1 }, { keep: 3 }, [], 'x']) {
        const answer = await compact('refused', body);
        expect(answer.status, JSON.stringify(body)).to.equal(400);
        expect(answer.headers.get('content-type')).to.equal('application/problem+json');
      }
      const reader = apiClient(server.baseUrl, (await createKey(db.pool, { tenant: 'default', role: 'read' })).token);
      expect((await compact('refused', { keep_versions: 1 }, reader)).status).to.equal(403);
      expect((await compact('nobody-here', { keep_versions: 1 })).status).to.equal(404);
      // Another tenant's session of that name is not there either.
      const other = apiClient(server.baseUrl, (await createKey(db.pool, { tenant: 'compact-other', role: 'write' })).token);
      expect((await compact('refused', { keep_versions: 1 }, other)).status).to.equal(404);

      expect(await takeCompactionLease(db.pool, 'default', 'refused', 'another-process', 60)).to.equal(true);
      const busy = await compact('refused', { keep_versions: 1 });
      expect(busy.status).to.equal(409);
      expect(busy.body.detail).to.match(/another compaction/);
      await releaseCompactionLease(db.pool, 'default', 'refused', 'another-process');
      expect(await rows('events', 'refused')).to.have.length(10);

      await history('deleted', 3);
      expect((await api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'deleted' } })).status).to.equal(204);
      expect((await compact('deleted', { keep_versions: 1 })).status).to.equal(410);
      expect(await rows('events', 'deleted')).to.have.length(3);
    });
  });
});

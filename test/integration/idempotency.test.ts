import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { silentLogger } from '../../src/log.js';
import { createIdempotencySweeper } from '../../src/sessions/idempotencySweeper.js';
import { useTestServer } from '../helpers/api.js';
import { spawnServer } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';
const TTL_SECONDS = 600;

describe('Idempotency-Key records: the answer as sent, a window, a purge', () => {
  const fixture = useTestServer({ idempotencyTtlSeconds: TTL_SECONDS });
  let counter = 0;
  const newSid = (): string => `i${++counter}-${Date.now()}`;

  const save = (sid: string, json: unknown, key?: string) =>
    fixture.api.request('PUT', STATE, { params: { sid }, json, ...(key ? { headers: { 'idempotency-key': key } } : {}) });
  const versionCount = async (sid: string): Promise<number> => {
    const [rows] = await fixture.db.pool.query('SELECT COUNT(*) AS n FROM events WHERE session_id = ?', [sid]);
    return Number((rows as Array<{ n: number }>)[0]!.n);
  };
  const record = async (sid: string, key: string): Promise<{ status: number; response: string } | undefined> => {
    const [rows] = await fixture.db.pool.query('SELECT status, response FROM idempotency_keys WHERE session_id = ? AND idempotency_key = ?', [sid, key]);
    return (rows as Array<{ status: number; response: string }>)[0];
  };
  /** Moves a record's time back, as if it had been written `seconds` earlier. */
  const age = async (sid: string, key: string, seconds: number): Promise<void> => {
    await fixture.db.pool.query('UPDATE idempotency_keys SET created_at = created_at - INTERVAL ? SECOND WHERE session_id = ? AND idempotency_key = ?', [seconds, sid, key]);
  };

  describe('the answer in its wire form', () => {
    it('a retry gets the first answer byte for byte, and the record holds exactly those bytes and that status', async () => {
      const sid = newSid();
      await save(sid, { n: 0 });
      const first = await save(sid, { n: 1 }, 'wire-1');
      expect(first.status).to.equal(201);
      await save(sid, { n: 2 });
      const retry = await save(sid, { n: 1 }, 'wire-1');
      expect(retry.status).to.equal(201);
      expect(retry.headers.get('idempotent-replayed')).to.equal('true');
      expect(retry.text).to.equal(first.text);
      expect(retry.headers.get('etag')).to.equal(first.headers.get('etag'));
      expect(retry.headers.get('location')).to.equal(first.headers.get('location'));
      expect(await record(sid, 'wire-1')).to.deep.equal({ status: 201, response: first.text });
    });

    it('the same for a fork (nested forked_from) and an unchanged save (200)', async () => {
      const source = newSid();
      const target = newSid();
      await save(source, { a: 1 });
      const fork = () => fixture.api.request('POST', '/v1/sessions/{sid}/fork', { params: { sid: source }, json: { to: target }, headers: { 'idempotency-key': 'wire-fork' } });
      const forked = await fork();
      expect(forked.status).to.equal(201);
      expect(forked.body.forked_from).to.deep.equal({ session_id: source, version: 1 });
      const again = await fork();
      expect(again.headers.get('idempotent-replayed')).to.equal('true');
      expect(again.text).to.equal(forked.text);
      expect(await record(target, 'wire-fork')).to.deep.equal({ status: 201, response: forked.text });

      const unchanged = await save(source, { a: 1 }, 'wire-same');
      expect(unchanged.status).to.equal(200);
      const unchangedRetry = await save(source, { a: 1 }, 'wire-same');
      expect(unchangedRetry.status).to.equal(200);
      expect(unchangedRetry.text).to.equal(unchanged.text);
      expect(await record(source, 'wire-same')).to.deep.equal({ status: 200, response: unchanged.text });
    });
  });

  describe(`the window (IDEMPOTENCY_TTL_SECONDS, here ${TTL_SECONDS})`, () => {
    it('a retry just inside the window is still answered from the record', async () => {
      const sid = newSid();
      const first = await save(sid, { n: 1 }, 'in-window');
      await save(sid, { n: 2 });
      await age(sid, 'in-window', TTL_SECONDS - 30);
      const retry = await save(sid, { n: 1 }, 'in-window');
      expect(retry.headers.get('idempotent-replayed')).to.equal('true');
      expect(retry.text).to.equal(first.text);
      expect(await versionCount(sid)).to.equal(2);
    });

    it('a retry after the window is a new request: written again, not replayed, and its answer is the new record', async () => {
      const sid = newSid();
      const first = await save(sid, { n: 1 }, 'late');
      await save(sid, { n: 2 }); // someone else writes in between
      await age(sid, 'late', TTL_SECONDS);
      const late = await save(sid, { n: 1 }, 'late');
      expect(late.status).to.equal(201);
      expect(late.headers.get('idempotent-replayed')).to.equal(null);
      expect(late.body.version).to.equal(3);
      expect(late.text).not.to.equal(first.text);
      expect(await versionCount(sid)).to.equal(3);
      expect((await fixture.api.request('GET', STATE, { params: { sid } })).body).to.deep.equal({ n: 1 });
      // The key is held again, by the new answer.
      expect(await record(sid, 'late')).to.deep.equal({ status: 201, response: late.text });
      const retry = await save(sid, { n: 1 }, 'late');
      expect(retry.headers.get('idempotent-replayed')).to.equal('true');
      expect(retry.text).to.equal(late.text);
    });

    it('after the window a key may name another request (no 422)', async () => {
      const sid = newSid();
      await save(sid, { n: 1 }, 'reused');
      expect((await save(sid, { n: 2 }, 'reused')).status).to.equal(422);
      await age(sid, 'reused', TTL_SECONDS + 1);
      const other = await save(sid, { n: 2 }, 'reused');
      expect(other.status).to.equal(201);
      expect(other.body.version).to.equal(2);
    });
  });

  describe('the purge', () => {
    const tenant = 'sweep-test';
    /** `count` records of one session written `secondsAgo` before the database's clock. */
    const insertRecords = async (sid: string, count: number, secondsAgo: number): Promise<void> => {
      const prefix = `k-${secondsAgo}-`;
      const rows = Array.from({ length: count }, (_, i) => [tenant, sid, `${prefix}${i}`, randomBytes(32), 201, '{}', '2000-01-01 00:00:00']);
      await fixture.db.pool.query('INSERT INTO idempotency_keys (tenant, session_id, idempotency_key, request_hash, status, response, created_at) VALUES ?', [rows]);
      await fixture.db.pool.query(
        'UPDATE idempotency_keys SET created_at = UTC_TIMESTAMP(6) - INTERVAL ? SECOND WHERE tenant = ? AND session_id = ? AND idempotency_key LIKE ?',
        [secondsAgo, tenant, sid, `${prefix}%`],
      );
    };
    const remaining = async (sid: string): Promise<string[]> => {
      const [rows] = await fixture.db.pool.query('SELECT idempotency_key AS k FROM idempotency_keys WHERE tenant = ? AND session_id = ? ORDER BY k', [tenant, sid]);
      return (rows as Array<{ k: string }>).map((row) => row.k);
    };

    it('deletes the expired records in batches of at most its batch size and keeps those inside the window', async () => {
      const sid = newSid();
      await insertRecords(sid, 250, TTL_SECONDS + 60);
      await insertRecords(sid, 3, TTL_SECONDS - 60);
      const sweeper = createIdempotencySweeper({ pool: fixture.db.pool, ttlSeconds: TTL_SECONDS, intervalMs: 0, batchSize: 100, pauseMs: 0, logger: silentLogger });
      expect(await sweeper.sweep()).to.deep.equal({ deleted: 250, batches: 3 });
      expect(await remaining(sid)).to.deep.equal([0, 1, 2].map((i) => `k-${TTL_SECONDS - 60}-${i}`));
      expect(await sweeper.sweep()).to.deep.equal({ deleted: 0, batches: 1 });
    });

    it('sweeps by itself once started, and not at all once stopped', async () => {
      const sid = newSid();
      const sweeper = createIdempotencySweeper({ pool: fixture.db.pool, ttlSeconds: TTL_SECONDS, intervalMs: 20, batchSize: 10, pauseMs: 0, logger: silentLogger });
      await insertRecords(sid, 25, TTL_SECONDS + 60);
      sweeper.start();
      try {
        await waitFor(async () => (await remaining(sid)).length === 0, { what: 'the started sweeper to purge 25 expired records' });
      } finally {
        await sweeper.stop();
      }
      await insertRecords(sid, 5, TTL_SECONDS + 60);
      await sleep(300);
      expect(await remaining(sid)).to.have.length(5);
    });

    it('the server process purges by itself every IDEMPOTENCY_SWEEP_SECONDS, and stops cleanly', async function () {
      this.timeout(120_000);
      const sid = newSid();
      await insertRecords(sid, 30, 3600 + 60);
      await insertRecords(sid, 2, 60);
      const serverProcess = await spawnServer({ DATABASE_URL: formatDatabaseUrl(fixture.db.target), IDEMPOTENCY_TTL_SECONDS: '3600', IDEMPOTENCY_SWEEP_SECONDS: '1' });
      try {
        await waitFor(() => /"message":"purged expired idempotency records".*"deleted":30\b/.test(serverProcess.log()), {
          what: 'the server to log the purge of 30 expired records',
          timeout: 30_000,
        });
        expect(await remaining(sid)).to.deep.equal(['k-60-0', 'k-60-1']);
      } finally {
        expect(await serverProcess.stop()).to.equal(0);
      }
      expect(await remaining(sid)).to.deep.equal(['k-60-0', 'k-60-1']);
    });
  });
});

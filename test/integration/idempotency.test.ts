import { expect } from 'chai';
import { startTestServer, type Api, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const STATE = '/v1/sessions/{sid}/state';

describe('Idempotency-Key records: the answer as sent', () => {
  let db: TestDatabase;
  let server: TestServer;
  let api: Api;
  let counter = 0;
  const newSid = (): string => `i${++counter}-${Date.now()}`;

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    api = server.api;
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  const save = (sid: string, json: unknown, key?: string) =>
    api.request('PUT', STATE, { params: { sid }, json, ...(key ? { headers: { 'idempotency-key': key } } : {}) });
  const record = async (sid: string, key: string): Promise<{ status: number; response: string } | undefined> => {
    const [rows] = await db.pool.query('SELECT status, response FROM idempotency_keys WHERE session_id = ? AND idempotency_key = ?', [sid, key]);
    return (rows as Array<{ status: number; response: string }>)[0];
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
      const fork = () => api.request('POST', '/v1/sessions/{sid}/fork', { params: { sid: source }, json: { to: target }, headers: { 'idempotency-key': 'wire-fork' } });
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
});

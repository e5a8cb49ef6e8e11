import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { projectRoot } from '../../src/paths.js';
import { createKey } from '../../src/access/keys.js';
import { apiClient, startTestServer, type ApiResponse, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

/** A 400 problem that names what was wrong. */
function expectBadRequest(response: ApiResponse, what: string, detail: RegExp): void {
  expect(response.status, `${what}: ${response.text}`).to.equal(400);
  expect(response.headers.get('content-type'), what).to.match(/^application\/problem\+json/);
  expect(response.body.detail, what).to.match(detail);
}

describe('client errors: input that used to get a 500 or a wrong answer is a 4xx that says why', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    for (const state of [{ v: 1 }, { v: 2 }]) {
      await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, json: state });
    }
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  describe('keys', () => {
    it('sends Retry-After as whole seconds, at most a day, for a key with a tiny rate', async () => {
      const admin = apiClient(server.baseUrl, (await createKey(db.pool, { tenant: 'slow', role: 'admin' })).token);
      const slow = await admin.request('POST', '/v1/keys', { json: { role: 'read', rate_per_second: 1e-300, rate_burst: 1 } });
      expect(slow.status).to.equal(201);
      const api = apiClient(server.baseUrl, slow.body.token);
      expect((await api.request('GET', '/v1/sessions')).status).to.equal(200);
      const limited = await api.request('GET', '/v1/sessions');
      expect(limited.status).to.equal(429);
      expect(limited.headers.get('retry-after')).to.equal('86400');
      expect(limited.body.detail).to.include('86400 s');
    });
  });
});

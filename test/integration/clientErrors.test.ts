import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { projectRoot } from '../../src/paths.js';
import { createKey } from '../../src/access/keys.js';
import { apiClient, startTestServer, type ApiResponse, useTestServer } from '../helpers/api.js';

const run = promisify(execFile);

/** A 400 problem that names what was wrong. */
function expectBadRequest(response: ApiResponse, what: string, detail: RegExp): void {
  expect(response.status, `${what}: ${response.text}`).to.equal(400);
  expect(response.headers.get('content-type'), what).to.match(/^application\/problem\+json/);
  expect(response.body.detail, what).to.match(detail);
}

describe('client errors: input that used to get a 500 or a wrong answer is a 4xx that says why', function () {
  this.timeout(120_000);
  const fixture = useTestServer();
  before(async () => {
    for (const state of [{ v: 1 }, { v: 2 }]) {
      await fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, json: state });
    }
  });

  describe('compressed request bodies', () => {
    const body = Buffer.from(JSON.stringify({ compressed: true, text: 'x'.repeat(1000) }));
    const put = (sid: string, coding: string, raw: Buffer) =>
      fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid }, headers: { 'content-type': 'application/json', 'content-encoding': coding }, raw });

    it('answers 400 to gzip, deflate and br bodies that do not decode (corrupt or cut short), and writes nothing', async () => {
      const corrupt: Array<[string, Buffer]> = [
        ['gzip', Buffer.concat([gzipSync(body).subarray(0, 10), Buffer.from('this is not deflate data at all')])],
        ['gzip', gzipSync(body).subarray(0, 30)],
        ['deflate', Buffer.from('789c' + 'ff'.repeat(40), 'hex')],
        ['deflate', deflateSync(body).subarray(0, 20)],
        ['br', Buffer.from('ff'.repeat(40), 'hex')],
        ['br', brotliCompressSync(body).subarray(0, 10)],
      ];
      for (const [coding, bytes] of corrupt) {
        expectBadRequest(await put('corrupt', coding, bytes), `corrupt ${coding}`, new RegExp(`not valid ${coding} data`));
      }
      expect((await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'corrupt' } })).status).to.equal(404);
    });

    it('reads content codings in any case (GZIP, Deflate, bR), as RFC 9110 says they are', async () => {
      const cases: Array<[string, Buffer]> = [
        ['GZIP', gzipSync(body)],
        ['Deflate', deflateSync(body)],
        ['bR', brotliCompressSync(body)],
        ['Identity', body],
      ];
      for (const [coding, bytes] of cases) {
        const response = await put(`coded-${coding}`, coding, bytes);
        expect(response.status, `${coding}: ${response.text}`).to.equal(201);
        const loaded = await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: `coded-${coding}` } });
        expect(loaded.text).to.equal(body.toString());
      }
      expect((await put('coded-x', 'compress', body)).status).to.equal(415);
    });
  });

  describe('list cursors', () => {
    const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

    it('answers 400 to a forged cursor (non-ASCII or malformed session id, impossible instant, any change to a real one)', async () => {
      for (const sid of ['listed-1', 'listed-2']) await fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid }, json: {} });
      const first = await fixture.api.request('GET', '/v1/sessions', { query: { limit: 1 } });
      const real: string = first.body.next;
      const [updatedAt] = JSON.parse(Buffer.from(real, 'base64url').toString()) as [string, string];
      const forged = [
        cursor([updatedAt, 'é']),
        cursor([updatedAt, 'ü'.repeat(100)]),
        cursor([updatedAt, '']),
        cursor([updatedAt, 'a b']),
        cursor(['2026-13-45 99:99:99.000000', 'kept']),
        cursor(['2026-02-30 00:00:00.000000', 'kept']),
        cursor([updatedAt, 'kept', 'extra']),
        `${real}=`,
      ];
      for (const value of forged) {
        expectBadRequest(await fixture.api.request('GET', '/v1/sessions', { query: { cursor: value } }), `cursor ${value}`, /cursor/);
      }
      // The real one still pages on.
      const next = await fixture.api.request('GET', '/v1/sessions', { query: { limit: 1, cursor: real } });
      expect(next.status).to.equal(200);
      expect(next.body.items[0].session_id).not.to.equal(first.body.items[0].session_id);
    });
  });

  describe('instants out of range once their offset is applied', () => {
    const outOfRange = ['9999-12-31T23:30:00-01:00', '0001-01-01T00:30:00+01:00', '9999-12-31T23:59:59.999999-00:01'];

    it('answers 400 to ?at=, ?from=, ?to= past 9999 or before 0001 in UTC, and answers the edges', async () => {
      for (const at of outOfRange) {
        const load = await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { at } });
        expectBadRequest(load, `at=${at}`, /query parameter "at" must be .* 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999Z/);
        for (const name of ['from', 'to']) {
          const history = await fixture.api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'kept' }, query: { [name]: at } });
          expectBadRequest(history, `${name}=${at}`, new RegExp(`"${name}"`));
        }
      }
      const latest = await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { at: '9999-12-31T23:30:00+01:00' } });
      expect(latest.status).to.equal(200);
      expect(latest.body).to.deep.equal({ v: 2 });
      const beforeAll = await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'kept' }, query: { at: '0001-01-01T00:00:00Z' } });
      expect(beforeAll.status).to.equal(404);
    });

    it('answers 400 to a restore "at" and a key "expires_at" out of range', async () => {
      for (const at of outOfRange) {
        const restore = await fixture.api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid: 'kept' }, json: { at } });
        expectBadRequest(restore, `restore at ${at}`, /"at" must be an RFC 3339 date-time from 0001/);
      }
      const admin = apiClient(fixture.server.baseUrl, (await createKey(fixture.db.pool, { tenant: 'default', role: 'admin' })).token);
      const key = await admin.request('POST', '/v1/keys', { json: { role: 'read', expires_at: outOfRange[0] } });
      expectBadRequest(key, 'expires_at past 9999', /expires_at must be an RFC 3339 date-time from 0001/);
    });
  });

  describe('bodies sent to a DELETE', () => {
    it('are refused with statuses openapi.yaml declares for it: 400 (no body taken), 413, 415', async () => {
      const small = await startTestServer(fixture.db.pool, { bodyLimitBytes: 1024 });
      const admin = apiClient(small.baseUrl, (await createKey(fixture.db.pool, { tenant: 'default', role: 'admin' })).token);
      try {
        await small.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'deleted-with-body' }, json: { v: 1 } });
        const cases: Array<[number, Record<string, string>, string]> = [
          [400, { 'content-type': 'application/json' }, '{}'],
          [415, { 'content-type': 'application/json; charset=latin1' }, '{}'],
          [415, { 'content-type': 'application/json', 'content-encoding': 'zstd' }, '{}'],
          [413, { 'content-type': 'application/json' }, `"${'x'.repeat(2048)}"`],
        ];
        for (const [status, headers, raw] of cases) {
          // The client checks each answer against openapi.yaml: a status it does not declare fails.
          const session = await small.api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'deleted-with-body' }, headers, raw });
          expect(session.status, JSON.stringify(headers)).to.equal(status);
          const key = await admin.request('DELETE', '/v1/keys/{id}', { params: { id: '0123456789ab' }, headers, raw });
          expect(key.status, JSON.stringify(headers)).to.equal(status);
        }
        expect((await small.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'deleted-with-body' } })).status).to.equal(200);
      } finally {
        await small.close();
      }
    });
  });

  describe('keys', () => {
    it('refuses a key whose expires_at is already past (400 over HTTP, usage error from npm run keys), creating nothing', async () => {
      const admin = apiClient(fixture.server.baseUrl, (await createKey(fixture.db.pool, { tenant: 'past', role: 'admin' })).token);
      const refused = await admin.request('POST', '/v1/keys', { json: { role: 'read', expires_at: '2001-01-01T00:00:00Z' } });
      expectBadRequest(refused, 'expires_at in the past', /already past/);
      const future = await admin.request('POST', '/v1/keys', { json: { role: 'read', expires_at: '2999-01-01T00:00:00+02:00' } });
      expect(future.status).to.equal(201);
      expect(future.body.expires_at).to.equal('2998-12-31T22:00:00.000000Z');

      const keysScript = join(projectRoot, 'dist/scripts/keys.js');
      const cli = await run(process.execPath, [keysScript, 'create', '--tenant', 'past', '--expires', '2001-01-01T00:00:00Z'], {
        env: { ...process.env, DATABASE_URL: formatDatabaseUrl(fixture.db.target) },
      }).catch((error: { code: number; stderr: string }) => error);
      expect((cli as { code: number }).code).to.equal(2);
      expect((cli as { stderr: string }).stderr).to.match(/--expires 2001-01-01T00:00:00Z is already past/);
      // Only the admin key and the future one.
      expect((await admin.request('GET', '/v1/keys')).body.items).to.have.length(2);
    });

    it('sends Retry-After as whole seconds, at most a day, for a key with a tiny rate', async () => {
      const admin = apiClient(fixture.server.baseUrl, (await createKey(fixture.db.pool, { tenant: 'slow', role: 'admin' })).token);
      const slow = await admin.request('POST', '/v1/keys', { json: { role: 'read', rate_per_second: 1e-300, rate_burst: 1 } });
      expect(slow.status).to.equal(201);
      const api = apiClient(fixture.server.baseUrl, slow.body.token);
      expect((await api.request('GET', '/v1/sessions')).status).to.equal(200);
      const limited = await api.request('GET', '/v1/sessions');
      expect(limited.status).to.equal(429);
      expect(limited.headers.get('retry-after')).to.equal('86400');
      expect(limited.body.detail).to.include('86400 s');
    });
  });
});

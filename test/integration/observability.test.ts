import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import { createKey } from '../../src/access/keys.js';
import { parseToken } from '../../src/core/apiKeyToken.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { type ApiResponse, useTestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { watch } from '../helpers/eventStream.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';
const STATE_ROUTE = '/v1/sessions/{sid}/state';

/** One scrape: every sample line as `name{labels}` (labels as the server wrote them) → value. */
type Samples = Map<string, number>;

function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

/** A sample's name with its labels in the order given (prom-client writes them in that order: the metric's own, then `le`). */
function series(name: string, labels: Record<string, string> = {}): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? name : `${name}{${entries.map(([key, value]) => `${key}="${value}"`).join(',')}}`;
}

describe('operating it: /metrics, request ids and request logs', function () {
  this.timeout(120_000);

  describe('a real server process with METRICS_PORT', () => {
    let db: TestDatabase;
    let server: ServerProcess;
    let token: string;
    let adminToken: string;
    let metricsUrl: string;

    before(async () => {
      db = await createTestDatabase();
      token = (await createKey(db.pool, { tenant: 'default', role: 'write' })).token;
      adminToken = (await createKey(db.pool, { tenant: 'default', role: 'admin' })).token;
      server = await spawnServer({ DATABASE_URL: formatDatabaseUrl(db.target), METRICS_PORT: '0', DB_POOL_SIZE: '7', CHECKPOINT_EVERY: '64' }, token);
      const listening = await waitFor(() => /"message":"metrics listening".*?"url":"([^"]+)"/.exec(server.log()), { what: 'the metrics listening line' });
      metricsUrl = listening[1]!;
    });

    after(async () => {
      await server?.stop();
      await db?.drop();
    });

    async function scrape(): Promise<Samples> {
      const response = await fetch(metricsUrl);
      expect(response.status).to.equal(200);
      expect(response.headers.get('content-type')).to.match(/^text\/plain; version=0\.0\.4/);
      return parseMetrics(await response.text());
    }

    /** How much each named series moved between two scrapes (0 for a series absent from both). */
    function moved(before: Samples, after: Samples, name: string, labels: Record<string, string> = {}): number {
      const key = series(name, labels);
      return (after.get(key) ?? 0) - (before.get(key) ?? 0);
    }

    it('listens on loopback, apart from the API: only GET /metrics, and not on the API port', async () => {
      expect(metricsUrl).to.match(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const metricsPort = Number(new URL(metricsUrl).port);
      expect(metricsPort).to.not.equal(Number(new URL(server.baseUrl).port));

      const onApiPort = await fetch(`${server.baseUrl}/metrics`);
      expect(onApiPort.status).to.equal(404);
      expect(onApiPort.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect((await fetch(new URL('/', metricsUrl))).status).to.equal(404);
      const posted = await fetch(metricsUrl, { method: 'POST' });
      expect(posted.status).to.equal(405);
      expect(posted.headers.get('allow')).to.equal('GET, HEAD');

      // Bound to 127.0.0.1: another interface of this machine refuses the connection.
      const external = Object.values(networkInterfaces())
        .flat()
        .find((address) => address && address.family === 'IPv4' && !address.internal);
      if (external) {
        const refused = await new Promise<boolean>((resolve) => {
          const socket = connect(metricsPort, external.address);
          socket.once('connect', () => {
            socket.destroy();
            resolve(false);
          });
          socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
        });
        expect(refused, `metrics port reachable on ${external.address}`).to.equal(true);
      }
    });

    it('counts requests by route template and status, with latency histograms; never a raw path', async () => {
      const sid = `metrics-${randomBytes(4).toString('hex')}`;
      const before = await scrape();
      for (let turn = 1; turn <= 3; turn++) {
        expect((await server.api.request('PUT', STATE, { params: { sid }, json: { turn } })).status).to.equal(201);
      }
      expect((await server.api.request('GET', STATE, { params: { sid: `${sid}-missing` } })).status).to.equal(404);
      expect((await fetch(`${server.baseUrl}/no/such/${sid}`)).status).to.equal(404);
      const after = await scrape();

      const put201 = { method: 'PUT', route: STATE_ROUTE, status: '201' };
      expect(moved(before, after, 'session_store_http_requests_total', put201)).to.equal(3);
      expect(moved(before, after, 'session_store_http_requests_total', { method: 'GET', route: STATE_ROUTE, status: '404' })).to.equal(1);
      expect(moved(before, after, 'session_store_http_requests_total', { method: 'GET', route: '(unmatched)', status: '404' })).to.equal(1);
      expect(moved(before, after, 'session_store_http_request_duration_seconds_count', put201)).to.equal(3);
      expect(moved(before, after, 'session_store_http_request_duration_seconds_sum', put201)).to.be.greaterThan(0);
      // Every bucket, cumulative, the last one holding every request.
      const buckets = ['0.001', '0.0025', '0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
      const counts = buckets.map((le) => after.get(series('session_store_http_request_duration_seconds_bucket', { le, ...put201 })));
      expect(counts.every((count) => typeof count === 'number'), JSON.stringify(counts)).to.equal(true);
      for (let i = 1; i < counts.length; i++) expect(counts[i]).to.be.at.least(counts[i - 1]!);
      expect(counts.at(-1)).to.equal(after.get(series('session_store_http_request_duration_seconds_count', put201)));
      // Bounded labels: no session id or path of a request anywhere.
      const text = await (await fetch(metricsUrl)).text();
      expect(text).not.to.include(sid);
      expect(text).not.to.include('/no/such');
    });

    it('counts writes by kind and result, the bytes they record, loads by kind, replays and cache hits', async () => {
      const sid = `writes-${randomBytes(4).toString('hex')}`;
      // Large beside its changes, so that they are stored as patches (FULL_STATE_RATIO).
      const filler = 'f'.repeat(2000);
      const answers: ApiResponse[] = [];
      const before = await scrape();
      answers.push(await server.api.request('PUT', STATE, { params: { sid }, json: { filler, items: [1] } }));
      answers.push(await server.api.request('PUT', STATE, { params: { sid }, json: { filler, items: [1, 2] }, headers: { 'idempotency-key': `k-${sid}` } }));
      const replayed = await server.api.request('PUT', STATE, { params: { sid }, json: { filler, items: [1, 2] }, headers: { 'idempotency-key': `k-${sid}` } });
      const unchanged = await server.api.request('PUT', STATE, { params: { sid }, json: { filler, items: [1, 2] } });
      answers.push(
        await server.api.request('PATCH', STATE, {
          params: { sid },
          raw: JSON.stringify([{ op: 'add', path: '/items/-', value: 3 }]),
          headers: { 'content-type': 'application/json-patch+json' },
        }),
      );
      answers.push(await server.api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid }, json: { version: 1 } }));
      expect(answers.map((answer) => answer.status)).to.deep.equal([201, 201, 201, 201]);
      expect(replayed.headers.get('idempotent-replayed')).to.equal('true');
      expect(unchanged.status).to.equal(200);
      const after = await scrape();

      expect(moved(before, after, 'session_store_writes_total', { kind: 'save', result: 'version' })).to.equal(2);
      expect(moved(before, after, 'session_store_writes_total', { kind: 'save', result: 'replayed' })).to.equal(1);
      expect(moved(before, after, 'session_store_writes_total', { kind: 'save', result: 'unchanged' })).to.equal(1);
      expect(moved(before, after, 'session_store_writes_total', { kind: 'patch', result: 'version' })).to.equal(1);
      expect(moved(before, after, 'session_store_writes_total', { kind: 'restore', result: 'version' })).to.equal(1);
      const patchBytes = (kind: string) => answers.filter((answer) => answer.body.kind === kind).reduce((total, answer) => total + (answer.body.patch_bytes as number), 0);
      for (const kind of ['save', 'patch', 'restore']) {
        expect(moved(before, after, 'session_store_written_bytes_total', { kind }), kind).to.equal(patchBytes(kind));
      }

      // The head was just written by this process: served from its cache, nothing replayed.
      const latest = await scrape();
      expect((await server.api.request('GET', STATE, { params: { sid } })).status).to.equal(200);
      const afterLatest = await scrape();
      expect(moved(latest, afterLatest, 'session_store_loads_total', { kind: 'latest' })).to.equal(1);
      expect(moved(latest, afterLatest, 'session_store_state_cache_lookups_total', { result: 'hit' })).to.equal(1);
      expect(moved(latest, afterLatest, 'session_store_replay_patches_count')).to.equal(0);

      // Version 3 is rebuilt from the checkpoint of version 1 and two patches.
      expect((await server.api.request('GET', STATE, { params: { sid }, query: { version: 3 } })).body).to.deep.equal({ filler, items: [1, 2, 3] });
      const afterVersion = await scrape();
      expect(moved(afterLatest, afterVersion, 'session_store_loads_total', { kind: 'version' })).to.equal(1);
      expect(moved(afterLatest, afterVersion, 'session_store_replay_patches_count')).to.equal(1);
      expect(moved(afterLatest, afterVersion, 'session_store_replay_patches_sum')).to.equal(2);
      expect(moved(afterLatest, afterVersion, 'session_store_replay_patches_bucket', { le: '1' })).to.equal(0);
      expect(moved(afterLatest, afterVersion, 'session_store_replay_patches_bucket', { le: '2' })).to.equal(1);

      const createdAt = answers[0]!.body.created_at as string;
      expect((await server.api.request('GET', STATE, { params: { sid }, query: { at: createdAt } })).status).to.equal(200);
      expect(moved(afterVersion, await scrape(), 'session_store_loads_total', { kind: 'at' })).to.equal(1);
    });

    it('counts transaction retries: racing first saves of one session conflict and are run again', async () => {
      const before = await scrape();
      // Racing first saves collide on the new session's rows; the losers run again. Raced until a
      // retry happens (the first round nearly always has some), each round checked for versions.
      const retried = await waitFor(
        async () => {
          const sid = `race-${randomBytes(4).toString('hex')}`;
          const answers = await Promise.all(Array.from({ length: 12 }, (_, writer) => server.api.request('PUT', STATE, { params: { sid }, json: { writer } })));
          expect(answers.map((answer) => answer.body.version).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 12 }, (_, i) => i + 1));
          return moved(before, await scrape(), 'session_store_transaction_retries_total');
        },
        { what: 'a transaction retry', timeout: 60_000, interval: 0 },
      );
      expect(retried).to.be.greaterThan(0);
    });

    it('reports the database pool, open change-feed streams and the process', async () => {
      const idle = await scrape();
      expect(idle.get(series('session_store_db_pool_connections', { state: 'max' }))).to.equal(7);
      const inUse = idle.get(series('session_store_db_pool_connections', { state: 'in_use' }))!;
      const free = idle.get(series('session_store_db_pool_connections', { state: 'idle' }))!;
      expect(inUse).to.be.at.least(0);
      expect(inUse + free).to.be.within(1, 7);
      expect(idle.get('session_store_db_pool_waiting_requests')).to.equal(0);
      expect(idle.get('session_store_state_cache_bytes')).to.be.greaterThan(0);
      for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
        expect(idle.has(name), name).to.equal(true);
      }

      const sid = `feed-${randomBytes(4).toString('hex')}`;
      expect((await server.api.request('PUT', STATE, { params: { sid }, json: { watched: true } })).status).to.equal(201);
      const streams = await Promise.all([watch(server.baseUrl, token, sid), watch(server.baseUrl, adminToken, sid)]);
      expect((await scrape()).get('session_store_feed_open_streams')).to.equal(2);
      for (const stream of streams) stream.close();
      await waitFor(async () => (await scrape()).get('session_store_feed_open_streams') === 0, { what: 'the streams to be counted closed' });
    });
  });

  describe('request ids', () => {
    const fixture = useTestServer();

    // The test client holds every answer to the rule (test/helpers/api.ts): X-Request-Id on each,
    // and a problem body's request_id equal to it. These tests are about which id it is.

    it('echoes an acceptable X-Request-Id, on a success and on a problem alike', async () => {
      for (const id of ['req-1', '0f8fad5b-d9cb-469f-a165-70867728950e', 'trace:a.b_c@d+e=f/g', 'x'.repeat(128)]) {
        const saved = await fixture.server.api.request('PUT', STATE, { params: { sid: 'ids' }, json: { id }, headers: { 'x-request-id': id } });
        expect(saved.status).to.be.oneOf([200, 201]);
        expect(saved.headers.get('x-request-id')).to.equal(id);
        const missing = await fixture.server.api.request('GET', STATE, { params: { sid: 'no-such-session' }, headers: { 'x-request-id': id } });
        expect(missing.status).to.equal(404);
        expect(missing.headers.get('x-request-id')).to.equal(id);
        expect(missing.body.request_id).to.equal(id);
      }
    });

    it('makes one when none is sent, different for each request, on every kind of answer', async () => {
      const seen = new Set<string>();
      const answers = [
        await fixture.server.api.request('GET', STATE, { params: { sid: 'ids' } }),
        await fixture.server.api.request('GET', STATE, { params: { sid: 'ids' }, headers: { authorization: '' } }),
        await fixture.server.api.request('GET', '/healthz'),
      ];
      for (const answer of answers) {
        const id = answer.headers.get('x-request-id')!;
        expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        seen.add(id);
      }
      expect(seen.size).to.equal(answers.length);
      expect(answers[1]!.status).to.equal(401);

      const unknown = await fetch(`${fixture.server.baseUrl}/v1/nothing-here`);
      expect(unknown.status).to.equal(404);
      const body = (await unknown.json()) as { request_id: string };
      expect(body.request_id).to.equal(unknown.headers.get('x-request-id'));
      const wrongMethod = await fetch(`${fixture.server.baseUrl}/healthz`, { method: 'DELETE' });
      expect(wrongMethod.status).to.equal(405);
      expect(((await wrongMethod.json()) as { request_id: string }).request_id).to.equal(wrongMethod.headers.get('x-request-id'));
      const stream = await watch(fixture.server.baseUrl, fixture.server.token, 'ids', { headers: { 'x-request-id': 'watching-1' } });
      expect(stream.status).to.equal(200);
      expect(stream.headers.get('x-request-id')).to.equal('watching-1');
      stream.close();
    });

    it('replaces an unsafe or overlong id with one of its own, and still answers the request', async () => {
      for (const sent of ['x'.repeat(129), 'has space', 'new\\nline', '<script>', 'a;b', 'ünïcode', 'a,b']) {
        const answer = await fixture.server.api.request('GET', STATE, { params: { sid: 'ids' }, headers: { 'x-request-id': sent } });
        expect(answer.status, sent).to.equal(200);
        const id = answer.headers.get('x-request-id')!;
        expect(id, sent).to.not.equal(sent);
        expect(id).to.match(/^[0-9a-f-]{36}$/);
      }
      // Two X-Request-Id headers are one value joined with ", ": not an acceptable id.
      const twice = await fetch(`${fixture.server.baseUrl}/healthz`, { headers: [['x-request-id', 'a'], ['x-request-id', 'b']] });
      expect(twice.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
    });
  });

  describe('request logs', () => {
    let db: TestDatabase;

    before(async () => {
      db = await createTestDatabase();
    });

    after(async () => {
      await db?.drop();
    });

    it('logs one line per request (method, route template, status, duration, request id, tenant, key id) and never a key, token or state', async () => {
      const writer = await createKey(db.pool, { tenant: 'acme', role: 'write' });
      const admin = await createKey(db.pool, { tenant: 'acme', role: 'admin' });
      const sentinel = `SENTINEL${randomBytes(8).toString('hex')}`;
      const server = await spawnServer({ DATABASE_URL: formatDatabaseUrl(db.target), LOG_LEVEL: 'info' }, writer.token);
      let created = '';
      try {
        const sid = `log-${randomBytes(4).toString('hex')}`;
        const id = (n: number) => `log-test-${n}`;
        const sent = [
          await server.api.request('PUT', STATE, { params: { sid }, json: { secret: `${sentinel}-put`, nested: { deep: [`${sentinel}-deep`] } }, headers: { 'x-request-id': id(1) }, query: { message: `${sentinel}-message` } }),
          await server.api.request('PATCH', STATE, {
            params: { sid },
            raw: JSON.stringify([{ op: 'replace', path: '/secret', value: `${sentinel}-patch` }]),
            headers: { 'content-type': 'application/json-patch+json', 'x-request-id': id(2), 'idempotency-key': `${sentinel}-idem` },
          }),
          await server.api.request('GET', STATE, { params: { sid }, headers: { 'x-request-id': id(3) } }),
          // Refused: a bad key carrying a secret, and a body that does not parse.
          await server.api.request('GET', STATE, { params: { sid }, headers: { authorization: `Bearer sst_000000000000_${sentinel}badkey`, 'x-request-id': id(4) } }),
          await server.api.request('PUT', STATE, { params: { sid }, raw: `{"broken": "${sentinel}-invalid"`, headers: { 'content-type': 'application/json', 'x-request-id': id(5) } }),
          // A key created over HTTP: its token is in the answer, never in the log.
          await server.api.request('POST', '/v1/keys', { json: { role: 'read', description: `${sentinel}-description` }, headers: { authorization: `Bearer ${admin.token}`, 'x-request-id': id(6) } }),
        ];
        expect(sent.map((answer) => answer.status)).to.deep.equal([201, 201, 200, 401, 400, 201]);
        created = sent[5]!.body.token as string;
        await waitFor(() => server.log().includes(`"request_id":"${id(6)}"`), { what: 'the last request logged' });
        await server.stop();

        const log = server.log();
        for (const secret of [writer.token, admin.token, created, parseToken(writer.token)!.secret, parseToken(created)!.secret, sentinel]) {
          expect(log, `the log holds ${secret}`).not.to.include(secret);
        }
        const lines = log.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
        const requestLines = lines.filter((line) => line.message === 'request');
        const byId = (n: number) => requestLines.filter((line) => line.request_id === id(n));
        for (let n = 1; n <= 6; n++) expect(byId(n), `lines of request ${n}`).to.have.length(1);
        expect(byId(1)[0]).to.deep.include({ level: 'info', method: 'PUT', route: STATE_ROUTE, status: 201, tenant: 'acme', key_id: writer.key.id });
        expect(byId(1)[0]!.duration_ms).to.be.a('number').and.at.least(0);
        expect(Object.keys(byId(1)[0]!).sort()).to.deep.equal(['duration_ms', 'key_id', 'level', 'message', 'method', 'request_id', 'route', 'status', 'tenant', 'time']);
        expect(byId(2)[0]).to.deep.include({ method: 'PATCH', route: STATE_ROUTE, status: 201 });
        expect(byId(4)[0]).to.deep.include({ method: 'GET', route: STATE_ROUTE, status: 401 });
        expect(byId(4)[0]).not.to.have.property('key_id');
        expect(byId(6)[0]).to.deep.include({ method: 'POST', route: '/v1/keys', status: 201, key_id: admin.key.id });
        expect(new Date(byId(1)[0]!.time as string).toISOString()).to.equal(byId(1)[0]!.time);
      } finally {
        await server.stop();
      }
    });

  });
});

import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { createKey } from '../../src/access/keys.js';
import { digestState } from '../../src/core/json.js';
import { connectionOptions } from '../../src/db/pool.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { refusesConnections, spawnServer, type ServerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';

describe('concurrency: many writers on two server processes sharing one database', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let servers: ServerProcess[];

  before(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: formatDatabaseUrl(db.target), CHECKPOINT_EVERY: '7', DB_POOL_SIZE: '8' };
    const { token } = await createKey(db.pool, { tenant: 'default', role: 'write' });
    servers = await Promise.all([spawnServer(env, token), spawnServer(env, token)]);
  });
  after(async () => {
    await Promise.all((servers ?? []).map((server) => server.stop()));
    await db.drop();
  });

  const serverFor = (i: number): ServerProcess => servers[i % servers.length]!;

  it('every concurrent save becomes exactly one version: none lost, none duplicated, contiguous, replay verifies', async () => {
    const sid = 'contended';
    const writers = 80;
    const responses = await Promise.all(
      Array.from({ length: writers }, (_, i) =>
        serverFor(i).api.request('PUT', STATE, { params: { sid }, json: { writer: i, payload: `state of writer ${i}` } }),
      ),
    );
    expect(responses.map((r) => r.status)).to.deep.equal(Array(writers).fill(201));
    const versions = responses.map((r) => r.body.version as number).sort((a, b) => a - b);
    expect(versions).to.deep.equal(Array.from({ length: writers }, (_, i) => i + 1));

    // Each writer's state is the state of exactly the version it was told.
    const expectedHashes = new Map(responses.map((r, i) => [r.body.version as number, digestState({ writer: i, payload: `state of writer ${i}` }).hash.toString('hex')]));
    const seen = new Map<number, string>();
    await verifyHistory(db.pool, 'default', sid, { visit: ({ event }) => seen.set(event.version, event.stateHash.toString('hex')) });
    expect(seen).to.deep.equal(expectedHashes);
  });

  it('concurrent PATCH appends on both processes all land: no write is applied to a stale head', async () => {
    const sid = 'appends';
    await serverFor(0).api.request('PUT', STATE, { params: { sid }, json: { items: [] } });
    const count = 60;
    const responses = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        serverFor(i).api.request('PATCH', STATE, {
          params: { sid },
          headers: { 'content-type': 'application/json-patch+json' },
          raw: JSON.stringify([{ op: 'add', path: '/items/-', value: i }]),
        }),
      ),
    );
    expect(responses.every((r) => r.status === 201)).to.equal(true);
    for (const server of servers) {
      const state = await server.api.request('GET', STATE, { params: { sid } });
      expect([...state.body.items].sort((a: number, b: number) => a - b)).to.deep.equal(Array.from({ length: count }, (_, i) => i));
      expect(state.headers.get('etag')).to.equal(`"${count + 1}"`);
    }
    await verifyHistory(db.pool, 'default', sid);
  });

  it('an If-Match race has exactly one winner; the others get 412 with the current version', async () => {
    const sid = 'race';
    await serverFor(0).api.request('PUT', STATE, { params: { sid }, json: { round: 0 } });
    for (let round = 1; round <= 5; round++) {
      const responses = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          serverFor(i).api.request('PUT', STATE, { params: { sid }, headers: { 'if-match': `"${round}"` }, json: { round, i } }),
        ),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).to.have.length(1);
      expect(statuses.filter((s) => s === 412)).to.have.length(11);
      for (const loser of responses.filter((r) => r.status === 412)) expect(loser.body.current_version).to.equal(round + 1);
    }
    await verifyHistory(db.pool, 'default', sid);
  });

  it('racing first saves with If-None-Match: * create the session once', async () => {
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        serverFor(i).api.request('PUT', STATE, { params: { sid: 'created-once' }, headers: { 'if-none-match': '*' }, json: { i } }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).to.have.length(1);
    expect(responses.filter((r) => r.status === 412)).to.have.length(9);
  });

  it('retries with one Idempotency-Key racing on both processes write one version', async () => {
    const sid = 'idempotent-race';
    await serverFor(0).api.request('PUT', STATE, { params: { sid }, json: { n: 0 } });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        serverFor(i).api.request('PUT', STATE, { params: { sid }, headers: { 'idempotency-key': 'same-key' }, json: { n: 1 } }),
      ),
    );
    expect(new Set(responses.map((r) => r.body.version))).to.deep.equal(new Set([2]));
    const history = await serverFor(1).api.request('GET', '/v1/sessions/{sid}/history', { params: { sid } });
    expect(history.body.items).to.have.length(2);
  });
});

describe('lifecycle of the server process', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let token: string;
  before(async () => {
    db = await createTestDatabase();
    token = (await createKey(db.pool, { tenant: 'default', role: 'write' })).token;
  });
  after(async () => {
    await db.drop();
  });

  it('SIGTERM lets saves in flight finish: saves waiting inside their transaction when the signal lands are all stored and answered 201, and the process exits 0', async () => {
    const server = await spawnServer({ DATABASE_URL: formatDatabaseUrl(db.target) }, token);
    const sid = 'shutdown';
    expect((await server.api.request('PUT', STATE, { params: { sid }, json: { i: 0 } })).status).to.equal(201);
    // Hold the session's head row: each save then waits on it inside its transaction, provably in
    // flight (the database lists its locking read as running) until the test lets it go.
    const holder = await mysql.createConnection(connectionOptions(db.target));
    try {
      await holder.query('START TRANSACTION');
      await holder.query("SELECT * FROM sessions WHERE tenant = 'default' AND session_id = ? FOR UPDATE", [sid]);
      const saves = 4;
      const inFlight = Array.from({ length: saves }, (_, i) =>
        server.api.request('PUT', STATE, { params: { sid }, json: { i: i + 1, blob: 'x'.repeat(20_000) } }),
      );
      await waitFor(
        async () => {
          const [rows] = await holder.query(
            "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND COMMAND IN ('Query', 'Execute') AND INFO LIKE '%FOR UPDATE%' AND ID <> CONNECTION_ID()",
            [db.target.database],
          );
          return Number((rows as Array<{ n: number }>)[0]!.n) === saves;
        },
        { what: `${saves} saves waiting on the session's lock` },
      );
      server.child.kill('SIGTERM');
      const { port } = new URL(server.baseUrl);
      await waitFor(() => refusesConnections(Number(port)), { what: 'the server to stop accepting connections (the signal acted on)' });
      await holder.query('ROLLBACK');

      const results = await Promise.all(inFlight);
      expect(results.map((r) => r.status)).to.deep.equal(Array(saves).fill(201));
      expect(results.map((r) => r.body.version as number).sort((a, b) => a - b)).to.deep.equal([2, 3, 4, 5]);
      expect(await server.exited).to.equal(0);
    } finally {
      await holder.end();
      await server.stop('SIGKILL');
    }
    const [rows] = await db.pool.query('SELECT COUNT(*) AS n FROM events WHERE session_id = ?', [sid]);
    expect(Number((rows as Array<{ n: number }>)[0]!.n)).to.equal(5);
    await verifyHistory(db.pool, 'default', sid);
  });

  it('a crashed server (SIGKILL) loses no acknowledged save', async () => {
    const server = await spawnServer({ DATABASE_URL: formatDatabaseUrl(db.target) }, token);
    const sid = 'crash';
    const acknowledged: number[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await server.api.request('PUT', STATE, { params: { sid }, json: { i } });
      acknowledged.push(response.body.version);
    }
    await server.stop('SIGKILL');
    const restarted = await spawnServer({ DATABASE_URL: formatDatabaseUrl(db.target) }, token);
    try {
      for (const version of acknowledged) {
        const response = await restarted.api.request('GET', STATE, { params: { sid }, query: { version } });
        expect(response.body).to.deep.equal({ i: version - 1 });
      }
    } finally {
      await restarted.stop();
    }
  });
});

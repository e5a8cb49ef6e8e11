import { expect } from 'chai';
import { createPool, type Pool } from '../../src/db/pool.js';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * How many round trips to the database a request costs (issue 12, bench/PROFILE.md): counted on
 * the pool's own connections, each query or prepared-statement execution one trip (several
 * statements sent together are one). What a regression that adds a statement per request breaks.
 */
describe('round trips to the database per request', () => {
  let db: TestDatabase;
  let pool: Pool;
  let server: TestServer;
  let trips = 0;

  before(async () => {
    db = await createTestDatabase();
    pool = createPool(db.target, 4);
    pool.pool.on('connection', (connection) => {
      for (const method of ['query', 'execute'] as const) {
        const original = connection[method].bind(connection) as (...args: unknown[]) => unknown;
        (connection as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
          trips++;
          return original(...args);
        };
      }
    });
    // The key's row is read once, then taken as valid for the bound (API_KEY_CACHE_MS).
    server = await startTestServer(pool, { apiKeyCacheMs: 60_000, checkpointEvery: 8 });
  });
  after(async () => {
    await server.close();
    await pool.end();
    await db.drop();
  });

  async function tripsOf(request: () => Promise<{ status: number }>, status: number): Promise<number> {
    trips = 0;
    expect((await request()).status).to.equal(status);
    return trips;
  }

  const save = (sid: string, json: unknown, headers: Record<string, string> = {}) => server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid }, json, headers });

  it('a save: two (the lock with its reads, then the rows with COMMIT), with an Idempotency-Key too; a first save too', async () => {
    // Warm: the key's row read, each statement prepared once on its connection.
    for (let n = 0; n < 12; n++) await save('warm', { n, items: ['a', 'b', n] });
    expect(await tripsOf(() => save('trips', { n: 1 }), 201)).to.equal(2);
    for (let n = 2; n < 10; n++) {
      // Checkpoints included (every 8 versions here).
      expect(await tripsOf(() => save('trips', { n, items: ['a', 'b', n] }), 201), `version ${n}`).to.equal(2);
    }
    expect(await tripsOf(() => save('trips', { n: 10 }, { 'idempotency-key': 'k-10' }), 201)).to.equal(2);
    // Its retry: the lock and the record's read, then COMMIT.
    expect(await tripsOf(() => save('trips', { n: 10 }, { 'idempotency-key': 'k-10' }), 201)).to.equal(2);
  });

  it('a load of the latest state: one (the head row; the state from the cache)', async () => {
    await server.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'trips' } });
    expect(await tripsOf(() => server.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'trips' } }), 200)).to.equal(1);
  });

  it('a load of an older version: one once its checkpoint is held (the head row and the events together), two before', async () => {
    const load = (version: number) => server.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'trips' }, query: { version } });
    expect(await tripsOf(() => load(5), 200)).to.equal(2);
    expect(await tripsOf(() => load(5), 200)).to.equal(1);
  });
});

import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { createKey } from '../../src/access/keys.js';
import { databaseUnavailable } from '../../src/db/errors.js';
import { startLocalMariadb, type LocalMariadb, type LocalMariadbOptions } from '../../src/db/localMariadb.js';
import { migrate } from '../../src/db/migrate.js';
import { connectionOptions, createPool, type Pool } from '../../src/db/pool.js';
import { silentLogger } from '../../src/log.js';
import { projectRoot } from '../../src/paths.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { apiClient, startTestServer, type Api, type ApiResponse, type TestServer } from '../helpers/api.js';
import { startCuttingProxy } from '../helpers/cuttingProxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { waitFor } from '../helpers/waitFor.js';

/** A 503 the clients retry: a problem, with Retry-After in whole seconds. */
function expectUnavailable(response: ApiResponse, what: string): void {
  expect(response.status, `${what}: ${response.text}`).to.equal(503);
  expect(response.headers.get('content-type'), what).to.match(/^application\/problem\+json/);
  if (response.text) expect(response.body.status, what).to.equal(503); // HEAD has no body
  expect(response.headers.get('retry-after'), what).to.match(/^[1-9][0-9]*$/);
}

interface RouteCall {
  name: string;
  send: () => Promise<ApiResponse>;
  /** What it answers once the database serves again. */
  succeeds: number[];
}

/**
 * One request per operation of openapi.yaml (plus HEAD). `round` picks fresh targets for the
 * requests that can succeed only once (fork target, deleted session, revoked key).
 */
function everyRoute(api: Api, admin: Api, round: { forkTo: string; doomed: string; keyId: string }): RouteCall[] {
  const sid = { sid: 'live' };
  return [
    { name: 'GET /readyz', send: () => api.request('GET', '/readyz'), succeeds: [200] },
    { name: 'PUT state', send: () => api.request('PUT', '/v1/sessions/{sid}/state', { params: sid, json: { at: Math.random() } }), succeeds: [201] },
    {
      name: 'PATCH state',
      send: () =>
        api.request('PATCH', '/v1/sessions/{sid}/state', {
          params: sid,
          headers: { 'content-type': 'application/json-patch+json' },
          json: [{ op: 'add', path: '/patched', value: Math.random() }],
        }),
      succeeds: [201],
    },
    { name: 'GET state', send: () => api.request('GET', '/v1/sessions/{sid}/state', { params: sid }), succeeds: [200] },
    { name: 'HEAD state', send: () => api.request('HEAD', '/v1/sessions/{sid}/state', { params: sid }), succeeds: [200] },
    { name: 'GET history', send: () => api.request('GET', '/v1/sessions/{sid}/history', { params: sid }), succeeds: [200] },
    { name: 'GET version', send: () => api.request('GET', '/v1/sessions/{sid}/versions/{n}', { params: { ...sid, n: 1 } }), succeeds: [200] },
    { name: 'GET diff', send: () => api.request('GET', '/v1/sessions/{sid}/diff', { params: sid, query: { from: 1, to: 2 } }), succeeds: [200] },
    { name: 'POST restore', send: () => api.request('POST', '/v1/sessions/{sid}/restore', { params: sid, json: { version: 1 } }), succeeds: [200, 201] },
    { name: 'POST fork', send: () => api.request('POST', '/v1/sessions/{sid}/fork', { params: sid, json: { to: round.forkTo } }), succeeds: [201] },
    { name: 'DELETE session', send: () => api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: round.doomed } }), succeeds: [204] },
    { name: 'GET sessions', send: () => api.request('GET', '/v1/sessions'), succeeds: [200] },
    { name: 'GET keys', send: () => admin.request('GET', '/v1/keys'), succeeds: [200] },
    { name: 'POST keys', send: () => admin.request('POST', '/v1/keys', { json: { role: 'read' } }), succeeds: [201] },
    { name: 'DELETE key', send: () => admin.request('DELETE', '/v1/keys/{id}', { params: { id: round.keyId } }), succeeds: [204] },
  ];
}

describe('unavailable: a database that cannot serve is a 503 with Retry-After, never a 500', function () {
  this.timeout(300_000);

  describe('a MariaDB of its own, made read-only, killed, stopped and started again under a running server', () => {
    let dataDir: string;
    let options: LocalMariadbOptions;
    let local: LocalMariadb;
    let pool: Pool;
    let server: TestServer;
    let admin: Api;
    const rounds = [
      { forkTo: 'fork-0', doomed: 'doomed-0', keyId: '' },
      { forkTo: 'fork-1', doomed: 'doomed-1', keyId: '' },
    ];

    before(async () => {
      // Inside the project, so the mysql user can reach it when run as root (as durability.test.ts).
      mkdirSync(join(projectRoot, '.data'), { recursive: true });
      dataDir = mkdtempSync(join(projectRoot, '.data', 'down-'));
      options = { dataDir, autoInstall: false, logger: silentLogger };
      local = await startLocalMariadb(options);
      await local.ensureDatabase('down');
      await migrate(local.target('down'));
      pool = createPool(local.target('down'), 4);
      server = await startTestServer(pool);
      admin = apiClient(server.baseUrl, (await createKey(pool, { tenant: 'default', role: 'admin' })).token);
      for (const state of [{ v: 1 }, { v: 2 }]) {
        expect((await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'live' }, json: state })).status).to.equal(201);
      }
      for (const round of rounds) {
        expect((await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: round.doomed }, json: {} })).status).to.equal(201);
        round.keyId = (await createKey(pool, { tenant: 'default', role: 'read' })).key.id;
      }
    });

    after(async () => {
      await server?.close();
      await pool?.end().catch(() => undefined);
      await local?.stop().catch(() => undefined); // a test that failed midway may leave it killed
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    /** Ready again by itself (no server restart), then every route as before the outage. */
    async function expectServedAgain(round: (typeof rounds)[number]): Promise<void> {
      await waitFor(async () => (await server.api.request('GET', '/readyz')).status === 200, { what: '/readyz to answer 200 once MariaDB was back', timeout: 30_000 });
      for (const route of everyRoute(server.api, admin, round)) {
        const response = await route.send();
        expect(route.succeeds, `${route.name} once MariaDB is back: ${response.status} ${response.text}`).to.include(response.status);
      }
    }

    async function expectEveryRouteUnavailable(round: (typeof rounds)[number]): Promise<void> {
      for (const route of everyRoute(server.api, admin, round)) expectUnavailable(await route.send(), route.name);
      // What needs no database still answers.
      expect((await server.api.request('GET', '/healthz')).status).to.equal(200);
      expect((await server.api.request('GET', '/openapi.yaml')).status).to.equal(200);
    }

    it('answers writes 503 (Retry-After) while the server is read-only, and still serves reads', async () => {
      // A user without SUPER, as a service's own user is: read_only binds it.
      const root = await mysql.createConnection(connectionOptions(local.target('down')));
      try {
        await root.query("CREATE USER 'app'@'localhost' IDENTIFIED BY 'app-password'");
        await root.query("GRANT ALL ON down.* TO 'app'@'localhost'");
        const appPool = createPool({ ...local.target('down'), user: 'app', password: 'app-password' }, 2);
        const appServer = await startTestServer(appPool);
        try {
          await root.query('SET GLOBAL read_only = 1');
          const write = await appServer.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'ro' }, json: { a: 1 } });
          expectUnavailable(write, 'PUT on a read-only server');
          expect(write.body.detail).to.match(/read-only/);
          const read = await appServer.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'live' } });
          expect(read.status).to.equal(200);
          await root.query('SET GLOBAL read_only = 0');
          const again = await appServer.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'ro' }, json: { a: 1 } });
          expect(again.status).to.equal(201);
        } finally {
          await root.query('SET GLOBAL read_only = 0');
          await appServer.close();
          await appPool.end();
        }
      } finally {
        await root.end();
      }
    });

    it('answers every route 503 while MariaDB is killed (writes in flight included) or stopped, and serves again once it is back', async () => {
      // Writers in flight when MariaDB is SIGKILLed: each gets its version or a 503, nothing else.
      const statuses: number[] = [];
      let stop = false;
      // Per writer: saves stored before the kill, and saves refused once it was killed.
      const stored = [0, 0, 0];
      const refused = [0, 0, 0];
      const writers = Array.from({ length: 3 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          const response = await fetch(`${server.baseUrl}/v1/sessions/writer-${w}/state`, {
            method: 'PUT',
            headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', 'idempotency-key': `w${w}-${i}` },
            body: JSON.stringify({ w, i, pad: 'x'.repeat(2000) }),
          });
          await response.text();
          statuses.push(response.status);
          if (response.status === 201) stored[w]!++;
          if (response.status === 503) refused[w]!++;
        }
      });
      await waitFor(() => stored.every((n) => n >= 3), { what: 'each writer to have saves stored' });
      process.kill(Number(readFileSync(join(dataDir, 'run', 'mariadb.pid'), 'utf8')), 'SIGKILL');
      await waitFor(() => refused.every((n) => n >= 1), { what: 'each writer to have a save refused by the killed MariaDB' });
      stop = true;
      await Promise.all(writers);
      expect(statuses).to.include(201);
      expect(statuses).to.include(503);
      expect([...new Set(statuses)].sort()).to.deep.equal([201, 503]);

      // Killed: the socket file is left behind, nothing listens on it (ECONNREFUSED).
      await expectEveryRouteUnavailable(rounds[0]!);
      local = await startLocalMariadb(options);
      await expectServedAgain(rounds[0]!);

      // Stopped cleanly: no socket at all (ENOENT).
      await local.stop();
      await expectEveryRouteUnavailable(rounds[1]!);
      local = await startLocalMariadb(options);
      await expectServedAgain(rounds[1]!);

      for (let w = 0; w < 3; w++) await verifyHistory(pool, 'default', `writer-${w}`);
      await verifyHistory(pool, 'default', 'live');
    });
  });

  describe('on the test MariaDB', () => {
    let db: TestDatabase;
    before(async () => {
      db = await createTestDatabase();
    });
    after(async () => {
      await db.drop();
    });

    it('answers 503 (and /readyz 503) when nothing listens where the database should be: a closed TCP port, a missing socket', async () => {
      const { token } = await createKey(db.pool, { tenant: 'default', role: 'write' });
      const closedPort = await new Promise<number>((resolve) => {
        const probe = createServer().listen(0, '127.0.0.1', () => {
          const { port } = probe.address() as AddressInfo;
          probe.close(() => resolve(port));
        });
      });
      const nowhere = [
        { user: 'root', password: '', database: 'x', host: '127.0.0.1', port: closedPort },
        { user: 'root', password: '', database: 'x', socketPath: join(projectRoot, '.data', 'no-such-dir', 'mariadb.sock') },
      ];
      for (const target of nowhere) {
        const pool = createPool(target, 2);
        const server = await startTestServer(pool, {}, { withKey: false });
        try {
          const api = apiClient(server.baseUrl, token);
          expectUnavailable(await api.request('GET', '/readyz'), `/readyz via ${JSON.stringify(target)}`);
          expectUnavailable(await api.request('GET', '/v1/sessions'), `GET /v1/sessions via ${JSON.stringify(target)}`);
          const put = await api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 's' }, json: {} });
          expectUnavailable(put, `PUT via ${JSON.stringify(target)}`);
          expect(put.body.detail).to.match(/not reachable \((ECONNREFUSED|ENOENT)\)/);
        } finally {
          await server.close();
          await pool.end();
        }
      }
    });

    it('answers 503 with Retry-After when a write waited out its lock and its retries', async () => {
      const pool = createPool(db.target, 2);
      pool.on('connection', (connection) => {
        connection.query('SET SESSION innodb_lock_wait_timeout = 1');
      });
      const server = await startTestServer(pool, { txRetryBudgetMs: 0 });
      const holder = await mysql.createConnection(connectionOptions(db.target));
      try {
        expect((await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'locked' }, json: { a: 1 } })).status).to.equal(201);
        await holder.query('START TRANSACTION');
        await holder.query("SELECT * FROM sessions WHERE session_id = 'locked' FOR UPDATE");
        const blocked = await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'locked' }, json: { a: 2 } });
        expectUnavailable(blocked, 'PUT on a locked session');
        expect(blocked.headers.get('retry-after')).to.equal('1');
        await holder.query('ROLLBACK');
        expect((await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'locked' }, json: { a: 2 } })).status).to.equal(201);
      } finally {
        await holder.end();
        await server.close();
        await pool.end();
      }
    });

    it('answers 503 to a write whose COMMIT answer was lost; its retry with the same Idempotency-Key replays, and nothing is written twice', async () => {
      const proxy = await startCuttingProxy(db.target);
      const pool = createPool(proxy.target, 4);
      const server = await startTestServer(pool);
      try {
        const sid = { sid: 'cut' };
        expect((await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: sid, json: { n: 1 } })).status).to.equal(201);

        proxy.cutNextCommitAnswer();
        const cut = await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: sid, json: { n: 2 }, headers: { 'idempotency-key': 'k-2' } });
        expect(proxy.cuts).to.equal(1);
        expectUnavailable(cut, 'PUT whose COMMIT answer was lost');
        expect(cut.body.detail).to.match(/may or may not be stored.*same Idempotency-Key/);
        // It was committed; the retry answers as the first answer would have, and writes nothing.
        const retried = await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: sid, json: { n: 2 }, headers: { 'idempotency-key': 'k-2' } });
        expect(retried.status).to.equal(201);
        expect(retried.headers.get('idempotent-replayed')).to.equal('true');
        expect(retried.body.version).to.equal(2);

        // Without a key: withTransaction must not run the transaction again (a second version).
        proxy.cutNextCommitAnswer();
        const patched = await server.api.request('PATCH', '/v1/sessions/{sid}/state', {
          params: sid,
          headers: { 'content-type': 'application/json-patch+json' },
          json: [{ op: 'add', path: '/list', value: [] }, { op: 'add', path: '/list/-', value: 'once' }],
        });
        expectUnavailable(patched, 'PATCH whose COMMIT answer was lost');
        const history = await server.api.request('GET', '/v1/sessions/{sid}/history', { params: sid });
        expect(history.body.items.map((item: { version: number }) => item.version)).to.deep.equal([3, 2, 1]);
        expect((await server.api.request('GET', '/v1/sessions/{sid}/state', { params: sid })).body).to.deep.equal({ n: 2, list: ['once'] });
        await verifyHistory(db.pool, 'default', 'cut');
      } finally {
        await server.close();
        await pool.end();
        await proxy.close();
      }
    });

    it('reads real driver errors as unavailable or not: full table, lost connection yes; syntax, duplicate key no', async () => {
      const connection = await mysql.createConnection(connectionOptions(db.target));
      const failure = (sql: string) => connection.query(sql).then(() => undefined, (error: unknown) => error);
      try {
        await connection.query('SET SESSION max_heap_table_size = 16384');
        await connection.query('CREATE TEMPORARY TABLE heap (a CHAR(255)) ENGINE=MEMORY');
        const full = await failure("INSERT INTO heap SELECT REPEAT('x', 255) FROM seq_1_to_100000");
        expect((full as { errno: number }).errno).to.equal(1114);
        expect(databaseUnavailable(full)?.detail).to.match(/disk space|full/);

        expect(databaseUnavailable(await failure('SELEC 1'))).to.equal(undefined);
        await connection.query('CREATE TEMPORARY TABLE pk (a INT PRIMARY KEY)');
        expect(databaseUnavailable(await failure('INSERT INTO pk VALUES (1), (1)'))).to.equal(undefined);

        const [[{ id }]] = (await connection.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
        const killer = await mysql.createConnection(connectionOptions(db.target));
        await killer.query(`KILL ${Number(id)}`);
        await killer.end();
        const lost = await failure('SELECT 1');
        expect(databaseUnavailable(lost), String(lost)).to.have.property('retryAfterSeconds').that.is.a('number');
        // A statement given to the connection after it died: mysql2 answers with a plain Error (no
        // errno, no fatal flag), as a pooled connection whose Galera node restarted does.
        const afterDeath = await failure('SELECT 1');
        expect(String(afterDeath)).to.match(/closed state/);
        expect(databaseUnavailable(afterDeath), String(afterDeath)).to.have.property('retryAfterSeconds', 5);
      } finally {
        connection.destroy();
      }
      // Errors no test server can produce on demand, in the shape the driver gives them.
      const shaped = (errno: number, code: string, message: string) => Object.assign(new Error(message), { errno, code, sqlMessage: message });
      for (const error of [
        shaped(1047, 'ER_UNKNOWN_COM_ERROR', 'WSREP has not yet prepared node for application use'),
        shaped(1021, 'ER_DISK_FULL', 'Disk full (/tmp/x); waiting for someone to free some space...'),
        shaped(1030, 'ER_GET_ERRNO', 'Got error 28 "No space left on device" from storage engine InnoDB'),
        shaped(1053, 'ER_SERVER_SHUTDOWN', 'Server shutdown in progress'),
        shaped(1213, 'ER_LOCK_DEADLOCK', 'Deadlock found when trying to get lock; try restarting transaction'),
        shaped(1180, 'ER_ERROR_DURING_COMMIT', 'Got error 6 "No such device or address" during COMMIT'),
      ]) {
        expect(databaseUnavailable(error), error.message).to.have.property('retryAfterSeconds').that.is.at.least(1);
      }
    });
  });
});

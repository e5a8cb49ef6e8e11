import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GaleraCluster } from '../../scripts/lib/galeraCluster.js';
import { createKey } from '../../src/access/keys.js';
import { createPool, type Pool } from '../../src/db/pool.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { galeraCluster } from '../helpers/galera.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

/**
 * The service on a 3-node Galera cluster (loopback, started once for the run: test/helpers/galera.ts),
 * with one real server process attached to each node, as behind a balancer.
 */
// Longer than the longest stall a survivor's commit can see on this loopback cluster: the node's
// eviction (README: 7.5–9.5 s with the tests' failure detection) and, on a loaded 2-core machine,
// the rejoin's rsync state transfer beside it (one run waited past 15 s).
const REQUEST_TIMEOUT_MS = 45_000;

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  ms: number;
  /** Set when no answer came (connection failed, or the timeout passed). */
  failure?: string;
}

async function call(baseUrl: string, token: string, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const started = Date.now();
  try {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(options.json !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
      body: options.json !== undefined ? JSON.stringify(options.json) : undefined,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    const body = /json/.test(response.headers.get('content-type') ?? '') && text ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body, ms: Date.now() - started };
  } catch (error) {
    return { status: 0, headers: new Headers(), body: undefined, ms: Date.now() - started, failure: (error as Error).message };
  }
}

const statePath = (sid: string, version?: number): string => `/v1/sessions/${encodeURIComponent(sid)}/state${version ? `?version=${version}` : ''}`;

/** The first-start key files the processes were pointed at (one of each start writes its key there). */
const keyFiles: string[] = [];

function serverEnv(cluster: GaleraCluster, node: number, database: string): Record<string, string> {
  const keyFile = join(tmpdir(), `session-store-galera-key-${process.pid}-${randomUUID()}`);
  keyFiles.push(keyFile);
  return {
    DATABASE_URL: cluster.url(node, database),
    WORKER_THREADS: '0',
    DB_POOL_SIZE: '8',
    BOOTSTRAP_KEY_FILE: keyFile,
  };
}

describe('on a 3-node Galera cluster', function () {
  // The cluster's start (the first time) and the node kill's outage and rejoin take their time.
  this.timeout(300_000);
  let cluster: GaleraCluster;
  const created: ServerProcess[] = [];
  const pools: Pool[] = [];

  async function newDatabase(): Promise<string> {
    const name = `galera_${randomBytes(5).toString('hex')}`;
    await cluster.query(0, `CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    return name;
  }

  async function startServers(database: string): Promise<ServerProcess[]> {
    const started = await Promise.allSettled(cluster.nodes.map((_, node) => spawnServer(serverEnv(cluster, node, database))));
    for (const result of started) if (result.status === 'fulfilled') created.push(result.value);
    const failures = started.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : []));
    expect(failures, 'server processes that failed to start').to.deep.equal([]);
    return started.map((result) => (result as PromiseFulfilledResult<ServerProcess>).value);
  }

  function nodePools(database: string): Pool[] {
    const made = cluster.nodes.map((_, node) => createPool(cluster.target(node, database), 2, 0, { wsrepSyncWait: 1 }));
    pools.push(...made);
    return made;
  }

  before(async function () {
    this.timeout(600_000);
    cluster = await galeraCluster();
  });

  after(async () => {
    await Promise.all(created.map((server) => server.stop()));
    await Promise.all(pools.map((pool) => pool.end()));
    for (const file of keyFiles) rmSync(file, { force: true });
  });

  it('three processes starting at once on three nodes apply each migration once, all start ready, and create one first key', async () => {
    for (let round = 0; round < 3; round++) {
      const database = await newDatabase();
      const servers = await startServers(database);
      const counts = await cluster.query<{ name: string; copies: number }[]>(1, `SELECT name, COUNT(*) AS copies FROM ${database}.schema_migrations GROUP BY name`);
      expect(counts.length).to.be.greaterThan(0);
      for (const { name, copies } of counts) expect(Number(copies), name).to.equal(1);
      const keys = (await cluster.query<{ n: number }[]>(2, `SELECT COUNT(*) AS n FROM ${database}.api_keys`))[0]!;
      expect(Number(keys.n), 'first-start keys created').to.equal(1);
      for (const server of servers) expect((await server.api.request('GET', '/readyz')).status).to.equal(200);
      await Promise.all(servers.map((server) => server.stop()));
    }
  });

  describe('with one server process on each node', () => {
    let servers: ServerProcess[];
    let token: string;
    let byNode: Pool[];
    let database: string;

    before(async () => {
      database = await newDatabase();
      servers = await startServers(database);
      byNode = nodePools(database);
      token = (await createKey(byNode[0]!, { tenant: 'default', role: 'write' })).token;
    });

    it('many writers on one session through three nodes: each acknowledged save one version, contiguous, read back at once through another node, equal on every node, chain verified', async () => {
      const sid = `hot-${randomUUID()}`;
      const writers = 12;
      const savesEach = 12;
      const acknowledged = new Map<number, unknown>();
      const statuses: Record<string, number> = {};
      const staleReads: string[] = [];
      await Promise.all(
        Array.from({ length: writers }, async (_, writer) => {
          const via = servers[writer % 3]!;
          const readVia = servers[(writer + 1) % 3]!;
          for (let i = 0; i < savesEach; i++) {
            const state = { writer, i, note: `written through node ${(writer % 3) + 1}` };
            const answer = await call(via.baseUrl, token, 'PUT', statePath(sid), { json: state, headers: { 'idempotency-key': randomUUID() } });
            statuses[answer.failure ?? answer.status] = (statuses[answer.failure ?? answer.status] ?? 0) + 1;
            if (answer.status !== 201) continue;
            const version = answer.body.version as number;
            const earlier = acknowledged.get(version);
            expect(earlier === undefined, `version ${version} acknowledged twice: to ${JSON.stringify(earlier)}, then to ${JSON.stringify(state)} (Idempotent-Replayed: ${answer.headers.get('idempotent-replayed')}); its state now: ${JSON.stringify((await call(via.baseUrl, token, 'GET', statePath(sid, version))).body)}`).to.equal(true);
            acknowledged.set(version, state);
            // Read-your-writes through another node, at once.
            const read = await call(readVia.baseUrl, token, 'GET', statePath(sid, version));
            if (read.status !== 200 || JSON.stringify(read.body) !== JSON.stringify(state)) staleReads.push(`v${version}: ${read.status}`);
            const head = await call(readVia.baseUrl, token, 'GET', statePath(sid));
            const headVersion = Number(head.headers.get('snapshot-version'));
            if (head.status !== 200 || !(headVersion >= version)) staleReads.push(`head after v${version}: ${head.status} v${headVersion}`);
          }
        }),
      );
      expect(statuses).to.deep.equal({ 201: writers * savesEach });
      expect(staleReads).to.deep.equal([]);
      const versions = [...acknowledged.keys()].sort((a, b) => a - b);
      expect(versions).to.deep.equal(Array.from({ length: writers * savesEach }, (_, i) => i + 1));
      for (const [version, state] of acknowledged) {
        for (const server of servers) {
          const read = await call(server.baseUrl, token, 'GET', statePath(sid, version));
          expect(read.body, `version ${version} through ${server.baseUrl}`).to.deep.equal(state);
        }
      }
      for (const pool of byNode) expect(await verifyHistory(pool, 'default', sid)).to.include({ versions: writers * savesEach });
    });

    it("the service's connections read every write committed through another node at once (wsrep_sync_wait); without it, some reads are stale", async () => {
      await byNode[0]!.query('CREATE TABLE read_your_writes (id INT PRIMARY KEY, v INT NOT NULL)');
      await byNode[0]!.query('INSERT INTO read_your_writes VALUES (1, 0)');
      const readBack = async (reader: Pool, writes: number, stopAtFirstStale: boolean): Promise<number> => {
        let stale = 0;
        for (let i = 1; i <= writes; i++) {
          const value = Math.floor(Math.random() * 1e9);
          await byNode[0]!.execute('UPDATE read_your_writes SET v = ? WHERE id = 1', [value]);
          const [rows] = await reader.execute('SELECT v FROM read_your_writes WHERE id = 1');
          if ((rows as { v: number }[])[0]!.v !== value) stale++;
          if (stale > 0 && stopAtFirstStale) break;
        }
        return stale;
      };
      // As main.ts makes them on a Galera node (byNode: wsrep_sync_wait 1).
      expect(await readBack(byNode[1]!, 400, false), 'stale reads through node 2').to.equal(0);
      expect(await readBack(byNode[2]!, 400, false), 'stale reads through node 3').to.equal(0);
      // The check can fail: a connection without the setting does read stale rows.
      const unsynced = createPool(cluster.target(1, database), 1);
      pools.push(unsynced);
      expect(await readBack(unsynced, 3000, true), 'stale reads without wsrep_sync_wait').to.be.greaterThan(0);
    });

    it('/readyz: not ready while its node is desynced from the cluster (as a donor is), ready again after', async () => {
      for (const server of servers) expect((await server.api.request('GET', '/readyz')).status).to.equal(200);
      await cluster.query(2, 'SET GLOBAL wsrep_desync = ON');
      try {
        const answer = await servers[2]!.api.request('GET', '/readyz');
        expect(answer.status).to.equal(503);
        expect(answer.body.detail).to.match(/not synced with its cluster \(Donor\/Desynced\)/);
        expect(answer.headers.get('retry-after')).to.match(/^\d+$/);
        expect((await servers[0]!.api.request('GET', '/readyz')).status).to.equal(200);
      } finally {
        await cluster.query(2, 'SET GLOBAL wsrep_desync = OFF');
      }
      await waitFor(async () => (await servers[2]!.api.request('GET', '/readyz')).status === 200, { what: 'node 3 to be ready again' });
    });

    it('If-Match races across the nodes have exactly one winner; one Idempotency-Key sent through three nodes at once writes one version', async () => {
      const sid = `race-${randomUUID()}`;
      expect((await call(servers[0]!.baseUrl, token, 'PUT', statePath(sid), { json: { round: -1 } })).status).to.equal(201);
      for (let round = 0; round < 8; round++) {
        const version = round + 1;
        const answers = await Promise.all(
          servers.map((server, node) => call(server.baseUrl, token, 'PUT', statePath(sid), { json: { round, node }, headers: { 'if-match': `"${version}"` } })),
        );
        const statuses = answers.map((answer) => answer.status).sort();
        expect(statuses, `round ${round}`).to.deep.equal([201, 412, 412]);
      }
      for (let round = 0; round < 5; round++) {
        const key = randomUUID();
        const answers = await Promise.all(servers.map((server) => call(server.baseUrl, token, 'PUT', statePath(sid), { json: { key }, headers: { 'idempotency-key': key } })));
        // Each answer is the one write, first or replayed.
        for (const answer of answers) expect(answer.status, JSON.stringify(answer.body)).to.equal(201);
        expect(new Set(answers.map((answer) => answer.body.version)).size, `round ${round}`).to.equal(1);
      }
      const head = await call(servers[2]!.baseUrl, token, 'GET', statePath(sid));
      expect(Number(head.headers.get('snapshot-version'))).to.equal(1 + 8 + 5);
      for (const pool of byNode) expect(await verifyHistory(pool, 'default', sid)).to.include({ versions: 14 });
    });

    it('kill -9 of one node under load: the others serve without error, its process answers 503 with Retry-After and recovers by itself, nothing acknowledged is lost', async () => {
      const victim = 1;
      const writersPerServer = 3;
      interface Save {
        server: number;
        sid: string;
        key: string;
        state: unknown;
        version?: number;
      }
      const saves: Save[] = [];
      const answers = servers.map(() => ({ ok: 0, unavailable: 0, other: [] as string[], maxMs: 0, bad503: [] as string[] }));
      let stopping = false;
      let firstOkAfterRestart: number | undefined;
      let restartedAt: number | undefined;

      const writer = async (server: number, index: number): Promise<void> => {
        const sid = `kill-${server}-${index}-${randomUUID().slice(0, 8)}`;
        for (let i = 0; !stopping; i++) {
          const save: Save = { server, sid, key: randomUUID(), state: { server, index, i } };
          // Like the clients: a 503 is retried with the same Idempotency-Key until it is answered.
          for (;;) {
            const answer = await call(servers[server]!.baseUrl, token, 'PUT', statePath(sid), { json: save.state, headers: { 'idempotency-key': save.key } });
            const tally = answers[server]!;
            tally.maxMs = Math.max(tally.maxMs, answer.ms);
            if (answer.status === 201 || answer.status === 200) {
              tally.ok++;
              save.version = answer.body.version;
              if (restartedAt !== undefined && server === victim) firstOkAfterRestart ??= Date.now();
              break;
            }
            if (answer.status === 503) {
              tally.unavailable++;
              if (answer.headers.get('content-type') !== 'application/problem+json' || !/^\d+$/.test(answer.headers.get('retry-after') ?? '')) {
                tally.bad503.push(`${answer.headers.get('content-type')} retry-after=${answer.headers.get('retry-after')}`);
              }
            } else tally.other.push(answer.failure ?? `${answer.status} ${JSON.stringify(answer.body)}`);
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          saves.push(save);
        }
      };
      const load = Promise.all(servers.flatMap((_, server) => Array.from({ length: writersPerServer }, (__, index) => writer(server, index))));

      await new Promise((resolve) => setTimeout(resolve, 2000));
      const killedAt = Date.now();
      await cluster.kill(victim);
      const readyz = await waitFor(
        async () => {
          const answer = await call(servers[victim]!.baseUrl, token, 'GET', '/readyz');
          return answer.status === 503 ? answer : undefined;
        },
        { what: "the dead node's process to say not ready", timeout: 10_000 },
      );
      expect(readyz.headers.get('content-type')).to.equal('application/problem+json');
      const notReadyAfterMs = Date.now() - killedAt;
      await new Promise((resolve) => setTimeout(resolve, 3000));

      restartedAt = Date.now();
      await cluster.restart(victim);
      const syncedAt = Date.now();
      await waitFor(async () => (await call(servers[victim]!.baseUrl, token, 'GET', '/readyz')).status === 200, {
        what: "the rejoined node's process to be ready again",
        timeout: 60_000,
      });
      const readyAgainAt = Date.now();
      await waitFor(() => firstOkAfterRestart, { what: "a save through the rejoined node's process", timeout: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      stopping = true;
      await load;
      await cluster.waitSynced();

      const figures = {
        acknowledgedSaves: saves.length,
        byProcess: answers.map((tally, server) => ({ node: server + 1, ok: tally.ok, answered503: tally.unavailable, otherErrors: tally.other.length, slowestMs: tally.maxMs })),
        notReadyAfterMs,
        // From the restart of the killed node: it rejoined (synced), its process said ready, and saved.
        rejoinedAfterMs: syncedAt - restartedAt,
        readyAfterMs: readyAgainAt - restartedAt,
        firstSaveAfterMs: firstOkAfterRestart! - restartedAt,
      };
      console.log(`      node-kill figures: ${JSON.stringify(figures)}`);

      for (const [server, tally] of answers.entries()) {
        expect(tally.other, `errors other than 503 through node ${server + 1}`).to.deep.equal([]);
        expect(tally.bad503, `503s without problem+json and Retry-After through node ${server + 1}`).to.deep.equal([]);
        expect(tally.maxMs, `slowest answer through node ${server + 1}`).to.be.below(REQUEST_TIMEOUT_MS);
        // A survivor may refuse for moments (1047, retried with Retry-After, as above) when two live
        // nodes starved of the two shared cores suspect each other while the killed one rejoins: a
        // suite run saw 60 of 2,000 through each survivor. Never more than a few percent.
        if (server !== victim) expect(tally.unavailable, `503s through surviving node ${server + 1}`).to.be.below(Math.max(10, tally.ok * 0.05));
      }
      expect(answers[victim]!.unavailable, "503s through the dead node's process").to.be.greaterThan(0);

      // Every acknowledged save is there, once, equal through every node; every chain verifies.
      const bySession = new Map<string, Save[]>();
      for (const save of saves) bySession.set(save.sid, [...(bySession.get(save.sid) ?? []), save]);
      for (const [sid, list] of bySession) {
        expect(list.map((save) => save.version), sid).to.deep.equal(list.map((_, i) => i + 1));
        for (const pool of byNode) expect(await verifyHistory(pool, 'default', sid), sid).to.include({ versions: list.length });
        const last = list[list.length - 1]!;
        for (const server of servers) {
          expect((await call(server.baseUrl, token, 'GET', statePath(sid, last.version))).body).to.deep.equal(last.state);
        }
      }
      for (const save of saves) {
        const read = await call(servers[(save.server + 1) % 3]!.baseUrl, token, 'GET', statePath(save.sid, save.version));
        expect(read.body, `${save.sid} v${save.version}`).to.deep.equal(save.state);
      }
    });
  });
});

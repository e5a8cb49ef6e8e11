import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFileSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAuthenticator } from '../../src/access/authenticate.js';
import { createKey, revokeKey } from '../../src/access/keys.js';
import { parseInstant } from '../../src/core/time.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { projectRoot } from '../../src/paths.js';
import { apiClient, startTestServer, type ApiResponse, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { spawnServer } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

const run = promisify(execFile);

interface RouteCase {
  name: string;
  write: boolean;
  send: (token: string | undefined, headers?: Record<string, string>) => Promise<ApiResponse>;
}

describe('access: API keys, roles and tenants', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  const tokens: Record<string, string> = {};

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    tokens.write = server.token;
    tokens.read = (await createKey(db.pool, { tenant: 'default', role: 'read' })).token;
    tokens.admin = (await createKey(db.pool, { tenant: 'default', role: 'admin' })).token;
    tokens.foreign = (await createKey(db.pool, { tenant: 'acme', role: 'write' })).token;
    const revoked = await createKey(db.pool, { tenant: 'default', role: 'write' });
    await revokeKey(db.pool, revoked.key.id);
    tokens.revoked = revoked.token;
    // A key cannot be created already expired: this one expires after its creation.
    const expired = await createKey(db.pool, { tenant: 'default', role: 'write', expiresAt: parseInstant('2999-01-01T00:00:00Z') });
    await db.pool.query("UPDATE api_keys SET expires_at = '2001-01-01 00:00:00' WHERE id = ?", [expired.key.id]);
    tokens.expired = expired.token;
    tokens.unknown = 'sst_0123456789ab_' + 'A'.repeat(43);

    await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, json: { secret: 'default tenant data' }, headers: { 'idempotency-key': 'idem-1' } });
    await server.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, json: { secret: 'default tenant data', v: 2 } });
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  const client = (token: string | undefined) => apiClient(server.baseUrl, token);
  const as = (token: string | undefined, headers: Record<string, string> = {}) => ({
    headers: { ...(token === undefined ? { authorization: '' } : {}), ...headers },
  });
  const routes: RouteCase[] = [
    { name: 'GET state', write: false, send: (t, h) => client(t).request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, ...as(t, h) }) },
    { name: 'HEAD state', write: false, send: (t, h) => client(t).request('HEAD', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, ...as(t, h) }) },
    { name: 'GET state ?version', write: false, send: (t, h) => client(t).request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, query: { version: 1 }, ...as(t, h) }) },
    { name: 'GET history', write: false, send: (t, h) => client(t).request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'private' }, ...as(t, h) }) },
    { name: 'GET versions/{n}', write: false, send: (t, h) => client(t).request('GET', '/v1/sessions/{sid}/versions/{n}', { params: { sid: 'private', n: 1 }, ...as(t, h) }) },
    { name: 'GET diff', write: false, send: (t, h) => client(t).request('GET', '/v1/sessions/{sid}/diff', { params: { sid: 'private' }, query: { from: 1, to: 2 }, ...as(t, h) }) },
    { name: 'GET sessions', write: false, send: (t, h) => client(t).request('GET', '/v1/sessions', { ...as(t, h) }) },
    { name: 'PUT state', write: true, send: (t, h) => client(t).request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, json: { overwritten: true }, ...as(t, { 'if-match': '"2"', ...h }) }) },
    { name: 'PATCH state', write: true, send: (t, h) => client(t).request('PATCH', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, raw: '[{"op":"add","path":"/x","value":1}]', ...as(t, { 'content-type': 'application/json-patch+json', ...h }) }) },
    { name: 'POST restore', write: true, send: (t, h) => client(t).request('POST', '/v1/sessions/{sid}/restore', { params: { sid: 'private' }, json: { version: 1 }, ...as(t, h) }) },
    { name: 'POST fork', write: true, send: (t, h) => client(t).request('POST', '/v1/sessions/{sid}/fork', { params: { sid: 'private' }, json: { to: `copy-${Math.random().toString(36).slice(2)}` }, ...as(t, h) }) },
    { name: 'DELETE session', write: true, send: (t, h) => client(t).request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'private' }, ...as(t, h) }) },
    { name: 'DELETE ?purge', write: true, send: (t, h) => client(t).request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'private' }, query: { purge: true }, ...as(t, h) }) },
    { name: 'GET keys', write: false, send: (t, h) => client(t).request('GET', '/v1/keys', { ...as(t, h) }) },
    { name: 'POST keys', write: true, send: (t, h) => client(t).request('POST', '/v1/keys', { json: { role: 'read' }, ...as(t, h) }) },
    { name: 'DELETE keys/{id}', write: true, send: (t, h) => client(t).request('DELETE', '/v1/keys/{id}', { params: { id: '0123456789ab' }, ...as(t, h) }) },
  ];

  /** Every key as a refused request could have changed it (its last use aside: reading is using). */
  async function keyRows(): Promise<unknown[]> {
    const [rows] = await db.pool.query('SELECT id, tenant, role, secret_hash, description, expires_at, revoked_at FROM api_keys ORDER BY id');
    return rows as unknown[];
  }

  /** The session as the fixture wrote it, and the keys as they were when the test began. */
  async function defaultTenantUnchanged(keysBefore: unknown[]): Promise<void> {
    const [events] = await db.pool.query("SELECT COUNT(*) AS n FROM events WHERE tenant = 'default' AND session_id = 'private'");
    expect(Number((events as Array<{ n: number }>)[0]!.n)).to.equal(2);
    const state = await server.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' } });
    expect(state.body).to.deep.equal({ secret: 'default tenant data', v: 2 });
    expect(await keyRows(), 'keys').to.deep.equal(keysBefore);
  }

  const unauthorized: Array<[string, () => string | undefined, Record<string, string>]> = [
    ['no key', () => undefined, {}],
    ['a Basic header', () => undefined, { authorization: 'Basic dXNlcjpwYXNz' }],
    ['"Bearer" alone', () => undefined, { authorization: 'Bearer' }],
    ['a malformed key', () => undefined, { authorization: 'Bearer not-a-key' }],
    ['an unknown key', () => tokens.unknown, {}],
    ['a revoked key', () => tokens.revoked, {}],
    ['an expired key', () => tokens.expired, {}],
  ];
  for (const [label, token, headers] of unauthorized) {
    it(`${label}: 401 with WWW-Authenticate on every /v1 route, nothing written`, async () => {
      const keys = await keyRows();
      for (const route of routes) {
        const response = await route.send(token(), headers);
        expect(response.status, `${route.name}`).to.equal(401);
        expect(response.headers.get('www-authenticate'), route.name).to.match(/^Bearer realm="session-store"/);
      }
      await defaultTenantUnchanged(keys);
    });
  }

  it('a read key reads (200) and is refused every write (403), nothing written', async () => {
    const keys = await keyRows();
    for (const route of routes) {
      const response = await route.send(tokens.read);
      if (route.name.includes('keys')) expect(response.status, route.name).to.equal(403);
      else expect(response.status, route.name).to.equal(route.write ? 403 : 200);
    }
    await defaultTenantUnchanged(keys);
  });

  it("another tenant's key sees the session as not existing on every route, and leaks nothing", async () => {
    const keys = await keyRows();
    const expected: Record<string, number> = {
      'GET state': 404, 'HEAD state': 404, 'GET state ?version': 404, 'GET history': 404, 'GET versions/{n}': 404,
      'GET diff': 404, 'GET sessions': 200, 'PUT state': 412, 'PATCH state': 404, 'POST restore': 404,
      'POST fork': 404, 'DELETE session': 404, 'DELETE ?purge': 404, 'GET keys': 403, 'POST keys': 403, 'DELETE keys/{id}': 403,
    };
    for (const route of routes) {
      const response = await route.send(tokens.foreign);
      expect(response.status, route.name).to.equal(expected[route.name]);
      expect(response.text, route.name).not.to.include('default tenant data');
    }
    const list = await client(tokens.foreign).request('GET', '/v1/sessions');
    expect(list.body.items).to.deep.equal([]);
    // The same id and the same Idempotency-Key in another tenant are another session and another key.
    const own = await client(tokens.foreign).request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'private' }, json: { mine: true }, headers: { 'idempotency-key': 'idem-1' } });
    expect(own.status).to.equal(201);
    expect(own.body.version).to.equal(1);
    expect(own.headers.get('idempotent-replayed')).to.equal(null);
    expect((await client(tokens.foreign).request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' } })).body).to.deep.equal({ mine: true });
    await client(tokens.foreign).request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'private' }, query: { purge: true } });
    await defaultTenantUnchanged(keys);
  });

  it('stores keys only as hashes', async () => {
    const [rows] = await db.pool.query('SELECT * FROM api_keys');
    const dump = JSON.stringify(rows, (_key, value) => (value && value.type === 'Buffer' ? Buffer.from(value.data).toString('latin1') : value));
    for (const token of Object.values(tokens)) {
      const secret = token.slice('sst_0123456789ab_'.length);
      expect(dump).not.to.include(secret);
      expect(dump).not.to.include(Buffer.from(secret).toString('base64'));
    }
  });

  it('lets an admin key manage its own tenant\'s keys: create (secret shown once), list (no secrets), revoke', async () => {
    const admin = client(tokens.admin);
    const created = await admin.request('POST', '/v1/keys', { json: { role: 'read', description: 'dashboard' } });
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ tenant: 'default', role: 'read', description: 'dashboard' });
    expect((await client(created.body.token).request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' } })).status).to.equal(200);
    const list = await admin.request('GET', '/v1/keys');
    expect(list.body.items.map((key: { id: string }) => key.id)).to.include(created.body.id);
    expect(list.text).not.to.include(created.body.token.slice('sst_0123456789ab_'.length));
    expect(list.body.items.every((key: { tenant: string }) => key.tenant === 'default')).to.equal(true);
    expect((await admin.request('DELETE', '/v1/keys/{id}', { params: { id: created.body.id } })).status).to.equal(204);
    expect((await client(created.body.token).request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' } })).status).to.equal(401);
    // Another tenant's key is not this admin's to revoke.
    const [acme] = (await db.pool.query("SELECT id FROM api_keys WHERE tenant = 'acme'"))[0] as Array<{ id: string }>;
    expect((await admin.request('DELETE', '/v1/keys/{id}', { params: { id: acme!.id } })).status).to.equal(404);
    expect((await client(tokens.foreign).request('GET', '/v1/sessions')).status).to.equal(200);
    await db.pool.query("DELETE FROM api_keys WHERE description = 'dashboard'");
  });

  it('refuses a key this process already accepted on the very next read after it is revoked or expires, withholding the read', async () => {
    for (const end of ['revoke', 'expire'] as const) {
      const key = await createKey(db.pool, { tenant: 'default', role: 'read' });
      const reader = client(key.token);
      for (let i = 0; i < 3; i++) {
        expect((await reader.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'private' } })).status).to.equal(200);
      }
      if (end === 'revoke') await revokeKey(db.pool, key.key.id);
      else await db.pool.query('UPDATE api_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?', [key.key.id]);
      for (const [template, params] of [['/v1/sessions/{sid}/state', { sid: 'private' }], ['/v1/sessions/{sid}/history', { sid: 'private' }], ['/v1/sessions/{sid}/state', { sid: 'absent' }]] as const) {
        const refused = await reader.request('GET', template, { params });
        expect(refused.status, `${end} ${template}`).to.equal(401);
        expect(refused.headers.get('www-authenticate')).to.match(/^Bearer/);
        expect(refused.text).not.to.include('default tenant data');
        // Nor a header the read had set: not even the session's version.
        for (const header of ['etag', 'snapshot-version', 'last-modified', 'cache-control', 'location']) {
          expect(refused.headers.get(header), `${end} ${template}: ${header}`).to.equal(null);
        }
      }
      await db.pool.query('DELETE FROM api_keys WHERE id = ?', [key.key.id]);
    }
  });

  it('with API_KEY_CACHE_MS, refuses a revoked or expired key within that bound, and a key revoked over HTTP by the same process at once', async () => {
    const boundMs = 300;
    const bounded = await startTestServer(db.pool, { apiKeyCacheMs: boundMs });
    try {
      // Revoked by another process (here: straight in the database): refused within the bound.
      const writerKey = await createKey(db.pool, { tenant: 'default', role: 'write' });
      const writer = apiClient(bounded.baseUrl, writerKey.token);
      const save = (n: number) => writer.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'cached-key' }, json: { n } });
      expect((await save(0)).status).to.equal(201);
      await revokeKey(db.pool, writerKey.key.id);
      const revokedAt = performance.now();
      let status = 0;
      let n = 1;
      let lastAcceptedStarted = revokedAt;
      while (status !== 401 && performance.now() - revokedAt < 10 * boundMs) {
        const started = performance.now();
        status = (await save(n++)).status;
        if (status !== 401) lastAcceptedStarted = started;
      }
      expect(status).to.equal(401);
      // No request sent after the bound ran out is accepted (whatever each one's time on a busy machine).
      expect(lastAcceptedStarted - revokedAt).to.be.below(boundMs);
      // Every save accepted meanwhile is one version, and the refused one none.
      const history = await server.api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'cached-key' }, query: { limit: 1000 } });
      expect((history.body as { items: Array<{ version: number }> }).items[0]!.version).to.equal(n - 1);

      // An expiry sooner than the bound is not cached past, even with the longest bound.
      const longer = await startTestServer(db.pool, { apiKeyCacheMs: 60_000 });
      try {
        const expiring = await createKey(db.pool, { tenant: 'default', role: 'read', expiresAt: parseInstant(new Date(Date.now() + 1500).toISOString()) });
        const reader = apiClient(longer.baseUrl, expiring.token);
        expect((await reader.request('GET', '/v1/sessions')).status).to.equal(200);
        const started = performance.now();
        let readStatus = 200;
        while (readStatus === 200 && performance.now() - started < 10_000) readStatus = (await reader.request('GET', '/v1/sessions')).status;
        expect(readStatus).to.equal(401);
        expect(performance.now() - started).to.be.below(3000);
      } finally {
        await longer.close();
      }

      // Revoked through this process's DELETE /v1/keys/{id}: its next request here is refused.
      const adminKey = await createKey(db.pool, { tenant: 'default', role: 'admin' });
      const readerKey = await createKey(db.pool, { tenant: 'default', role: 'read' });
      const reader = apiClient(bounded.baseUrl, readerKey.token);
      expect((await reader.request('GET', '/v1/sessions')).status).to.equal(200);
      expect((await apiClient(bounded.baseUrl, adminKey.token).request('DELETE', '/v1/keys/{id}', { params: { id: readerKey.key.id } })).status).to.equal(204);
      expect((await reader.request('GET', '/v1/sessions')).status).to.equal(401);
      await db.pool.query('DELETE FROM api_keys WHERE id IN (?, ?, ?)', [writerKey.key.id, adminKey.key.id, readerKey.key.id]);
    } finally {
      await bounded.close();
    }
  });

  it('answers a revoked key 401 on every later read, never 429, even with its rate limit used up', async () => {
    // One request a burst, refilled once in 1000 s: the first read uses the bucket up.
    const key = await createKey(db.pool, { tenant: 'default', role: 'read', ratePerSecond: 0.001, rateBurst: 1 });
    const reader = client(key.token);
    expect((await reader.request('GET', '/v1/sessions')).status).to.equal(200);
    await revokeKey(db.pool, key.key.id);
    for (let i = 0; i < 3; i++) {
      const refused = await reader.request('GET', '/v1/sessions');
      // This process remembered the key: it was charged to the rate limit (and its read run) before
      // its check, for good, and told to retry after 1000 s.
      expect(refused.status, `request ${i + 1}: ${refused.text}`).to.equal(401);
      expect(refused.headers.get('retry-after')).to.equal(null);
    }
    await db.pool.query('DELETE FROM api_keys WHERE id = ?', [key.key.id]);
  });

  it('forgets a remembered key once it is found revoked or expired, so its later reads run nothing', async () => {
    // A remembered key's read runs alongside its check: a revoked key still remembered had every
    // read (a diff of two large versions: seconds of a worker) run, only to be answered 401.
    const authenticator = createAuthenticator(db.pool, () => undefined);
    for (const end of ['revoke', 'expire'] as const) {
      const key = await createKey(db.pool, { tenant: 'default', role: 'read' });
      const authorization = `Bearer ${key.token}`;
      await authenticator.authenticate(authorization);
      expect(authenticator.remembered(authorization)).to.include({ keyId: key.key.id });
      if (end === 'revoke') await revokeKey(db.pool, key.key.id);
      else await db.pool.query('UPDATE api_keys SET expires_at = UTC_TIMESTAMP(6) - INTERVAL 1 SECOND WHERE id = ?', [key.key.id]);
      const refused = await authenticator.authenticate(authorization).then(() => 'accepted', (error: Error) => error.message);
      expect(refused).to.match(end === 'revoke' ? /revoked/ : /expired/);
      expect(authenticator.remembered(authorization), end).to.equal(undefined);
      await db.pool.query('DELETE FROM api_keys WHERE id = ?', [key.key.id]);
    }
  });

  it('records when a key was last used', async () => {
    const fresh = await createKey(db.pool, { tenant: 'default', role: 'read' });
    expect(fresh.key.lastUsedAt).to.equal(null);
    await client(fresh.token).request('GET', '/v1/sessions');
    // The use is recorded after the answer, off the request's path: wait for the row to show it.
    const lastUsed = await waitFor(
      async () => {
        const [rows] = await db.pool.query('SELECT last_used_at FROM api_keys WHERE id = ?', [fresh.key.id]);
        return (rows as Array<{ last_used_at: string | null }>)[0]!.last_used_at;
      },
      { what: 'the key row to record its use', timeout: 10_000 },
    );
    expect(lastUsed).to.be.a('string');
    await db.pool.query('DELETE FROM api_keys WHERE id = ?', [fresh.key.id]);
  });

  it('rate-limits a flooding key with 429 and Retry-After while another tenant keeps saving', async () => {
    // A slow refill (one token in 5 s), so that the 60 requests, however long they queue for the pool, win no more than one.
    const flood = await createKey(db.pool, { tenant: 'flood', role: 'write', ratePerSecond: 0.2, rateBurst: 3 });
    const calm = await createKey(db.pool, { tenant: 'calm', role: 'write' });
    const floodRequests = Array.from({ length: 60 }, (_, i) =>
      client(flood.token).request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'f' }, json: { i } }),
    );
    const calmSaves: ApiResponse[] = [];
    for (let i = 0; i < 10; i++) {
      calmSaves.push(await client(calm.token).request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'c' }, json: { i } }));
    }
    const flooded = await Promise.all(floodRequests);
    expect(calmSaves.map((r) => r.status)).to.deep.equal(Array(10).fill(201));
    const limited = flooded.filter((r) => r.status === 429);
    expect(limited.length).to.be.greaterThan(50);
    expect(flooded.filter((r) => r.status === 201).length).to.be.at.most(4);
    expect(Number(limited[0]!.headers.get('retry-after'))).to.be.at.least(1);
    await db.pool.query("DELETE FROM api_keys WHERE tenant IN ('flood', 'calm')");
  });
});

describe('access: keys CLI, revocation across processes, first-start key', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  const keysScript = join(projectRoot, 'dist/scripts/keys.js');
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db.drop();
  });
  const cli = (...args: string[]) => run(process.execPath, [keysScript, ...args], { env: { ...process.env, DATABASE_URL: formatDatabaseUrl(db.target) } });

  it('creates on the first start, with no keys at all, one write key for tenant default in an owner-only file it names in the log', async () => {
    // A database of its own: it has no keys whichever tests ran before.
    const empty = await createTestDatabase();
    const file = join(tmpdir(), `first-start-key-${process.pid}`);
    rmSync(file, { force: true });
    const env = { DATABASE_URL: formatDatabaseUrl(empty.target), BOOTSTRAP_KEY_FILE: file };
    const [first, second] = await Promise.all([spawnServer(env), spawnServer(env)]);
    try {
      const token = readFileSync(file, 'utf8').trim();
      expect(statSync(file).mode & 0o777).to.equal(0o600);
      const logs = first.log() + second.log();
      expect(logs).to.include(file);
      expect(logs).not.to.include(token);
      const [rows] = await empty.pool.query('SELECT tenant, role FROM api_keys');
      expect(rows).to.deep.equal([{ tenant: 'default', role: 'write' }]);
      const saved = await apiClient(first.baseUrl, token).request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'hello' }, json: { ok: 1 } });
      expect(saved.status).to.equal(201);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      rmSync(file, { force: true });
      await empty.drop();
    }
  });

  it('keys create prints the key alone on its last line; list shows ids, never secrets; revoke is seen by a running server at once', async () => {
    const created = await cli('create', '--tenant', 'cli-tenant', '--role', 'write');
    const token = created.stdout.trim().split('\n').at(-1)!;
    expect(token).to.match(/^sst_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const id = token.split('_')[1]!;

    const listed = await cli('list', '--tenant', 'cli-tenant');
    expect(listed.stdout.split('\n')[0]).to.match(new RegExp(`^${id} `));
    expect(listed.stdout).not.to.include(token.slice('sst_0123456789ab_'.length));
    const asJson = JSON.parse((await cli('list', '--json')).stdout) as Array<{ id: string }>;
    expect(asJson.map((key) => key.id)).to.include(id);

    // API_KEY_CACHE_MS=0: the row is read on every request, so the revocation is seen on the next one.
    const server = await spawnServer({ DATABASE_URL: formatDatabaseUrl(db.target), API_KEY_CACHE_MS: '0' }, token);
    try {
      expect((await server.api.request('GET', '/v1/sessions')).status).to.equal(200);
      await cli('revoke', id);
      const after = await server.api.request('GET', '/v1/sessions');
      expect(after.status).to.equal(401);
    } finally {
      await server.stop();
    }
    const revokedAgain = await cli('revoke', id).catch((error: { code: number; stderr: string }) => error);
    expect((revokedAgain as { code: number }).code).to.equal(1);
  });

  it('refuses bad CLI input with a usage message and exit code 2', async () => {
    for (const args of [['create'], ['create', '--tenant', 'bad tenant'], ['create', '--tenant', 't', '--role', 'root'], ['create', '--tenant', 't', '--expires', 'tomorrow'], ['frobnicate']]) {
      const failed = (await cli(...args).catch((error: unknown) => error)) as { code: number; stderr: string };
      expect(failed.code, args.join(' ')).to.equal(2);
      expect(failed.stderr).to.match(/usage/);
    }
  });
});

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { useTestServer } from '../helpers/api.js';
import { generator, prng } from '../helpers/random.js';

describe('robustness: nothing a client sends gets a 500', function () {
  this.timeout(120_000);
  const fixture = useTestServer();
  before(async () => {
    await fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'target' }, json: { a: [1, 2, { b: 'c' }] } });
  });

  it('answers 1500 random requests (methods, paths, headers, bodies) with 2xx-4xx, every error a problem', async () => {
    const random = prng(7);
    const gen = generator(random);
    const sids = ['target', 'other', 'x', '%00', '..', 'a%2Fb', '%E2%82', 'a'.repeat(200), '😀'];
    const tails = ['/state', '/history', '/versions/1', '/versions/0', '/versions/abc', '/diff', '/restore', '/fork', '', '/state/extra'];
    const queries = ['', '?version=1', '?version=99999999999', '?at=2026-01-01T00:00:00Z', '?at=%ff', '?limit=5&before=2', '?from=1&to=2', '?from=2&to=1', '?purge=true', '?purge=maybe', '?x=1', '?version=1&version=2', '?message=%E2%9C%93'];
    const types = ['application/json', 'application/json-patch+json', 'text/plain', 'application/json; charset=latin1', '', 'multipart/form-data; boundary=x'];
    const bodies = (): string => {
      switch (gen.int(7)) {
        case 0: return JSON.stringify(gen.value(4));
        case 1: return JSON.stringify([{ op: gen.pick(['add', 'remove', 'replace', 'move', 'copy', 'test']), path: gen.pick(['', '/a', '/a/0', '/a/-', '/a/9', '/~2', 'a', '/a/01']), from: '/a', value: gen.value(2) }]);
        case 2: return randomBytes(gen.int(64)).toString('latin1');
        case 3: return JSON.stringify({ version: gen.pick([1, 0, -1, 1.5, 'x', 2 ** 40]), at: gen.pick(['2026-01-01T00:00:00Z', 'x', 5]), to: gen.pick(['new-one', 'target', '', 'bad id']) });
        case 4: return '';
        case 5: return '{"a":' + '['.repeat(gen.int(100));
        default: return JSON.stringify(gen.scalar());
      }
    };
    // Every table a request could write (not the keys: a request's key records its use).
    const [tables] = await fixture.db.pool.query(
      "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT IN ('api_keys', 'schema_migrations')",
    );
    const checksumSql = `CHECKSUM TABLE ${(tables as Array<{ name: string }>).map((table) => `\`${table.name}\``).join(', ')}`;
    const stored = async (): Promise<string> => JSON.stringify((await fixture.db.pool.query(checksumSql))[0]);
    let before = await stored();
    const statuses = new Map<number, number>();
    for (let i = 0; i < 1500; i++) {
      const method = gen.pick(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS']);
      const path = random() < 0.05 ? gen.pick(['/', '/v1', '/v1/sessions/', '/healthz/x', '/openapi.json']) : `/v1/sessions/${gen.pick(sids)}${gen.pick(tails)}`;
      const headers: Record<string, string> = random() < 0.9 ? { authorization: `Bearer ${fixture.server.token}` } : {};
      const type = gen.pick(types);
      if (type) headers['content-type'] = type;
      if (random() < 0.2) headers['if-match'] = gen.pick(['"1"', '*', 'W/"2"', 'garbage', '"99"']);
      if (random() < 0.1) headers['if-none-match'] = gen.pick(['*', '"1"', 'x']);
      if (random() < 0.1) headers['idempotency-key'] = gen.pick(['k1', 'k2', 'a'.repeat(300)]);
      const hasBody = !['GET', 'HEAD'].includes(method) && random() < 0.9;
      const response = await fetch(`${fixture.server.baseUrl}${path}${gen.pick(queries)}`, { method, headers, body: hasBody ? bodies() : undefined });
      const text = await response.text();
      expect(response.status, `${method} ${path} -> ${text}`).to.be.lessThan(500);
      if (response.status >= 400 && method !== 'HEAD') {
        expect(response.headers.get('content-type'), `${method} ${path}`).to.match(/^application\/problem\+json/);
        expect(JSON.parse(text)).to.include.keys('type', 'title', 'status', 'detail');
      }
      // A refused request writes nothing.
      const after = await stored();
      if (response.status >= 400) expect(after, `${method} ${path} -> ${response.status} changed what is stored`).to.equal(before);
      before = after;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    }
    // The requests reached every layer: routing, keys, input checks, and the handlers behind them.
    const count = (...wanted: number[]): number => wanted.reduce((sum, status) => sum + (statuses.get(status) ?? 0), 0);
    const seen = JSON.stringify(Object.fromEntries(statuses));
    expect(count(404, 405), `routing refusals among ${seen}`).to.be.at.least(100);
    expect(count(401), `key refusals among ${seen}`).to.be.at.least(10);
    expect(count(400, 413, 415, 422), `input refusals among ${seen}`).to.be.at.least(100);
    expect(count(200, 201, 204), `answers from the handlers among ${seen}`).to.be.at.least(100);
    // The session the requests aimed at is still whole.
    const { verifyHistory } = await import('../../src/sessions/verifyHistory.js');
    await verifyHistory(fixture.db.pool, 'default', 'target');
  });

  it('saves and loads a 6 MB incompressible state, and a small change to it stays a small patch', async () => {
    const big = { blob: randomBytes(4_500_000).toString('base64'), items: Array.from({ length: 1000 }, (_, i) => ({ i })) };
    const first = await fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'big' }, json: big });
    expect(first.status).to.equal(201);
    const changed = { ...big, items: [{ i: -1 }, ...big.items] };
    const second = await fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'big' }, json: changed });
    expect(second.body.patch_bytes).to.be.lessThan(100);
    expect((await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'big' }, query: { version: 1 } })).body).to.deep.equal(big);
    expect((await fixture.api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'big' } })).body).to.deep.equal(changed);
  });

  it('reads an unencoded + offset in ?at= as a + (a query string turns it into a space)', async () => {
    const response = await fetch(`${fixture.server.baseUrl}/v1/sessions/target/state?at=2999-01-01T00:00:00+02:00`, {
      headers: { authorization: `Bearer ${fixture.server.token}` },
    });
    expect(response.status).to.equal(200);
  });
});

import { expect } from 'chai';
import { startTestServer, useTestServer } from '../helpers/api.js';

const STATE = '/v1/sessions/{sid}/state';
const HISTORY = '/v1/sessions/{sid}/history';

describe('state: save, patch, load', () => {
  const fixture = useTestServer();
  let counter = 0;
  const newSid = (): string => `s${++counter}-${Date.now()}`;


  const save = (sid: string, json: unknown, options: { headers?: Record<string, string>; query?: Record<string, string> } = {}) =>
    fixture.api.request('PUT', STATE, { params: { sid }, json, ...options });
  const load = (sid: string, query: Record<string, string | number> = {}) => fixture.api.request('GET', STATE, { params: { sid }, query });
  const versionCount = async (sid: string): Promise<number> => {
    const [rows] = await fixture.db.pool.query('SELECT COUNT(*) AS n FROM events WHERE session_id = ?', [sid]);
    return Number((rows as Array<{ n: number }>)[0]!.n);
  };

  it('creates a session at version 1 and loads it back exactly', async () => {
    const sid = newSid();
    const state = { user: 'ana', messages: [{ role: 'user', text: 'olá 😀' }], n: 1.5, flag: null };
    const created = await save(sid, state);
    expect(created.status).to.equal(201);
    expect(created.body).to.include({ session_id: sid, version: 1, changed: true, kind: 'save' });
    expect(created.headers.get('etag')).to.equal('"1"');
    const loaded = await load(sid);
    expect(loaded.status).to.equal(200);
    expect(loaded.body).to.deep.equal(state);
    expect(loaded.headers.get('etag')).to.equal('"1"');
    expect(loaded.headers.get('snapshot-version')).to.equal('1');
    expect(new Date(loaded.headers.get('last-modified')!).getTime()).to.be.closeTo(Date.now(), 120_000);
  });

  it('stores any JSON value as a state: scalars, null, arrays', async () => {
    for (const value of [42, 'text', null, true, [1, [2]], {}]) {
      const sid = newSid();
      expect((await save(sid, value)).status).to.equal(201);
      expect((await load(sid)).body).to.deep.equal(value);
    }
  });

  it('answers 200 unchanged and writes no version for a state equal to the head (key order aside)', async () => {
    const sid = newSid();
    await save(sid, { a: 1, b: 2 });
    const again = await save(sid, { b: 2, a: 1 });
    expect(again.status).to.equal(200);
    expect(again.body).to.include({ version: 1, changed: false });
    expect(await versionCount(sid)).to.equal(1);
  });

  it('round-trips every awkward object key exactly', async () => {
    const sid = newSid();
    const keys = ['', '~', '/', 'a/b', '~1', '~0', 'ünï', '日本', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
    const v1 = Object.fromEntries(keys.map((key, i) => [key, { i }]));
    const v2 = Object.fromEntries(keys.map((key, i) => [key, { i, [key]: [key] }]));
    await save(sid, v1);
    await save(sid, v2);
    expect((await load(sid, { version: 1 })).body).to.deep.equal(v1);
    expect((await load(sid)).body).to.deep.equal(v2);
  });

  it('records message and author in history', async () => {
    const sid = newSid();
    await save(sid, { a: 1 }, { query: { message: 'first turn ✓', author: 'bot@1' } });
    const history = await fixture.api.request('GET', HISTORY, { params: { sid } });
    expect(history.body.items[0]).to.include({ message: 'first turn ✓', author: 'bot@1' });
  });

  describe('PATCH', () => {
    it('applies an RFC 6902 patch to the head atomically', async () => {
      const sid = newSid();
      await save(sid, { list: [1, 2], name: 'x' });
      const patched = await fixture.api.request('PATCH', STATE, {
        params: { sid },
        headers: { 'content-type': 'application/json-patch+json' },
        raw: JSON.stringify([{ op: 'test', path: '/name', value: 'x' }, { op: 'add', path: '/list/0', value: 0 }, { op: 'remove', path: '/name' }]),
      });
      expect(patched.status).to.equal(201);
      expect(patched.body).to.include({ version: 2, kind: 'patch' });
      expect((await load(sid)).body).to.deep.equal({ list: [0, 1, 2] });
    });

    it('answers 422 and writes nothing when the patch does not apply', async () => {
      const sid = newSid();
      await save(sid, { a: 1 });
      for (const patch of [
        [{ op: 'replace', path: '/a', value: 2 }, { op: 'test', path: '/a', value: 1 }],
        [{ op: 'remove', path: '/missing' }],
        [{ op: 'add', path: '/a/b/c', value: 1 }],
      ]) {
        const response = await fixture.api.request('PATCH', STATE, {
          params: { sid },
          headers: { 'content-type': 'application/json-patch+json' },
          raw: JSON.stringify(patch),
        });
        expect(response.status).to.equal(422);
        expect(response.body.current_version).to.equal(1);
      }
      expect(await versionCount(sid)).to.equal(1);
      expect((await load(sid)).body).to.deep.equal({ a: 1 });
    });

    it('answers 400 for a malformed patch or a bad path, 404 for an unknown session', async () => {
      const sid = newSid();
      await save(sid, { a: 1 });
      const patchWith = (raw: string, target = sid) =>
        fixture.api.request('PATCH', STATE, { params: { sid: target }, headers: { 'content-type': 'application/json-patch+json' }, raw });
      for (const raw of ['{"op":"add"}', '[{"op":"jump","path":"/a"}]', '[{"op":"add","path":"a","value":1}]', '[{"op":"add","path":"/a~2","value":1}]', '[{"op":"add","path":"/x"}]', '[{"op":"move","path":"/x"}]', '[{"op":"add","path":"/__proto__/x","value":1}]']) {
        expect((await patchWith(raw)).status, raw).to.equal(400);
      }
      expect((await patchWith('[]', newSid())).status).to.equal(404);
      expect(await versionCount(sid)).to.equal(1);
    });
  });

  describe('conditional writes', () => {
    it('If-Match applies the write only on that head version, else 412 with current_version', async () => {
      const sid = newSid();
      await save(sid, { n: 1 });
      const ok = await save(sid, { n: 2 }, { headers: { 'if-match': '"1"' } });
      expect(ok.status).to.equal(201);
      const stale = await save(sid, { n: 3 }, { headers: { 'if-match': '"1"' } });
      expect(stale.status).to.equal(412);
      expect(stale.body.current_version).to.equal(2);
      expect((await load(sid)).body).to.deep.equal({ n: 2 });
      const missing = await save(newSid(), { n: 1 }, { headers: { 'if-match': '"1"' } });
      expect(missing.status).to.equal(412);
      expect(missing.body.current_version).to.equal(null);
    });

    it('If-None-Match: * creates only', async () => {
      const sid = newSid();
      expect((await save(sid, { n: 1 }, { headers: { 'if-none-match': '*' } })).status).to.equal(201);
      const again = await save(sid, { n: 2 }, { headers: { 'if-none-match': '*' } });
      expect(again.status).to.equal(412);
      expect(again.body.current_version).to.equal(1);
    });

    it('answers 304 to a GET whose If-None-Match names the selected version', async () => {
      const sid = newSid();
      await save(sid, { n: 1 });
      const response = await fixture.api.request('GET', STATE, { params: { sid }, headers: { 'if-none-match': '"1"' } });
      expect(response.status).to.equal(304);
      expect(response.text).to.equal('');
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the first answer to a retry and writes nothing new', async () => {
      const sid = newSid();
      await save(sid, { n: 0 });
      const first = await save(sid, { n: 1 }, { headers: { 'idempotency-key': 'k-1' } });
      await save(sid, { n: 5 }); // someone else writes in between
      const retry = await save(sid, { n: 1 }, { headers: { 'idempotency-key': 'k-1' } });
      expect(retry.status).to.equal(201);
      expect(retry.body).to.deep.equal(first.body);
      expect(retry.headers.get('idempotent-replayed')).to.equal('true');
      expect(await versionCount(sid)).to.equal(3);
      expect((await load(sid)).body).to.deep.equal({ n: 5 });
    });

    it('answers 422 to the same key with a different body', async () => {
      const sid = newSid();
      await save(sid, { n: 1 }, { headers: { 'idempotency-key': 'k-2' } });
      const reuse = await save(sid, { n: 2 }, { headers: { 'idempotency-key': 'k-2' } });
      expect(reuse.status).to.equal(422);
      expect(await versionCount(sid)).to.equal(1);
    });
  });

  describe('bad input: a 4xx problem and nothing written', () => {
    const problemCases: Array<{ name: string; status: number; send: (sid: string) => Promise<{ status: number; headers: Headers; body: any }> }> = [
      { name: 'invalid JSON', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json' }, raw: '{"a":' }) },
      { name: 'an empty body', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json' }, raw: '' }) },
      { name: 'a wrong content type', status: 415, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'text/plain' }, raw: '{"a":1}' }) },
      { name: 'no content type', status: 415, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, raw: '{"a":1}' }) },
      { name: 'a JSON patch content type on PUT', status: 415, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json-patch+json' }, raw: '[]' }) },
      { name: 'nesting deeper than the limit', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json' }, raw: '['.repeat(65) + ']'.repeat(65) }) },
      { name: 'absurd nesting', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json' }, raw: '['.repeat(200_000) + ']'.repeat(200_000) }) },
      { name: 'a __proto__ key deep inside', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json' }, raw: '{"a":[{"b":{"__proto__":{"polluted":true}}}]}' }) },
      { name: 'an unknown query parameter', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, query: { verison: 1 }, json: { a: 1 } }) },
      { name: 'a malformed If-Match', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'if-match': '1' }, json: { a: 1 } }) },
      { name: 'a malformed Idempotency-Key', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'idempotency-key': 'a b' }, json: { a: 1 } }) },
      { name: 'a message over 1000 characters', status: 400, send: (sid) => fixture.api.request('PUT', STATE, { params: { sid }, query: { message: 'x'.repeat(1001) }, json: { a: 1 } }) },
    ];
    for (const testCase of problemCases) {
      it(`${testCase.name}: ${testCase.status}`, async () => {
        const sid = newSid();
        const response = await testCase.send(sid);
        expect(response.status).to.equal(testCase.status);
        expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
        expect(response.body).to.include.keys('type', 'title', 'status', 'detail');
        expect(response.body.status).to.equal(testCase.status);
        expect(await versionCount(sid)).to.equal(0);
      });
    }

    it('a body over the limit: 413, nothing written', async () => {
      const small = await startTestServer(fixture.db.pool, { bodyLimitBytes: 4096 });
      try {
        const sid = newSid();
        const response = await small.api.request('PUT', STATE, { params: { sid }, json: { blob: 'x'.repeat(10_000) } });
        expect(response.status).to.equal(413);
        expect(response.body.status).to.equal(413);
        expect(await versionCount(sid)).to.equal(0);
      } finally {
        await small.close();
      }
    });

    it('bad session ids: 400', async () => {
      for (const sid of ['-leading-dash', '_leading', 'has space', 'x'.repeat(129), 'ünï', 'a/b', 'a#b', '.hidden']) {
        const response = await save(sid, { a: 1 });
        expect(response.status, sid).to.equal(400);
        expect(response.body.detail).to.match(/session id/);
      }
      expect((await save('a'.repeat(128), { ok: true })).status).to.equal(201);
      expect((await save('Ab0._:@-x', { ok: true })).status).to.equal(201);
    });

    it('bad query values on GET: 400', async () => {
      const sid = newSid();
      await save(sid, { a: 1 });
      for (const query of <Array<Record<string, string>>>[{ version: 'abc' }, { version: '0' }, { version: '-1' }, { version: '1.5' }, { at: 'yesterday' }, { at: '2026-13-01T00:00:00Z' }, { version: '1', at: '2026-01-01T00:00:00Z' }]) {
        expect((await load(sid, query)).status, JSON.stringify(query)).to.equal(400);
      }
    });

    it('unknown sessions, versions above the head and instants before the first save: 404', async () => {
      const sid = newSid();
      expect((await load(sid)).status).to.equal(404);
      await save(sid, { a: 1 });
      expect((await load(sid, { version: 2 })).status).to.equal(404);
      expect((await load(sid, { at: '2000-01-01T00:00:00Z' })).status).to.equal(404);
    });

    it('an unknown route: 404 problem; a method the path does not take: 405 problem', async () => {
      const auth = { authorization: `Bearer ${fixture.server.token}` };
      const unknown = await fetch(`${fixture.server.baseUrl}/v1/nothing-here`, { headers: auth });
      expect(unknown.status).to.equal(404);
      expect(unknown.headers.get('content-type')).to.match(/problem\+json/);
      const wrongMethod = await fetch(`${fixture.server.baseUrl}/v1/sessions/abc/history`, { method: 'POST', headers: auth });
      expect(wrongMethod.status).to.equal(405);
      expect(wrongMethod.headers.get('content-type')).to.match(/problem\+json/);
      expect(wrongMethod.headers.get('allow')).to.match(/GET/);
    });
  });

  it('HEAD answers the headers of GET without a body', async () => {
    const sid = newSid();
    await save(sid, { a: 1 });
    const head = await fixture.api.request('HEAD', STATE, { params: { sid } });
    expect(head.status).to.equal(200);
    expect(head.text).to.equal('');
    expect(head.headers.get('etag')).to.equal('"1"');
    expect(head.headers.get('snapshot-version')).to.equal('1');
  });
});

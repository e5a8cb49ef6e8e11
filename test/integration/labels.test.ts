import { expect } from 'chai';
import { useTestServer } from '../helpers/api.js';
import { watch } from '../helpers/eventStream.js';

const STATE = '/v1/sessions/{sid}/state';
const HISTORY = '/v1/sessions/{sid}/history';

describe('labels on versions: written with PUT and PATCH, shown and filtered on by history', () => {
  const fixture = useTestServer();
  let counter = 0;
  const newSid = (): string => `labels${++counter}`;


  const save = (sid: string, json: unknown, labels?: Record<string, unknown>, headers: Record<string, string> = {}) =>
    fixture.api.request('PUT', STATE, { params: { sid }, json, headers, query: labels === undefined ? {} : { labels: JSON.stringify(labels) } });
  const history = (sid: string, query: Record<string, string | number> = {}) => fixture.api.request('GET', HISTORY, { params: { sid }, query });
  const filtered = async (sid: string, labels: Record<string, string>, query: Record<string, string | number> = {}) => {
    const response = await history(sid, { ...query, labels: JSON.stringify(labels) });
    expect(response.status, response.text).to.equal(200);
    return response.body as { items: Array<{ version: number; labels?: Record<string, string> }>; next: number | null };
  };

  it('keeps the labels of each version, shows them in history, /versions/{n} and the change feed, and none where none were given', async () => {
    const sid = newSid();
    expect((await save(sid, { n: 1 }, { step: '1', source: 'input' })).status).to.equal(201);
    expect((await save(sid, { n: 2 })).status).to.equal(201);
    const patched = await fixture.api.request('PATCH', STATE, {
      params: { sid },
      query: { labels: JSON.stringify({ step: '3', 'ns:child.x-1': 'é 😀 "quoted"' }) },
      raw: JSON.stringify([{ op: 'replace', path: '/n', value: 3 }]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
    expect(patched.status, patched.text).to.equal(201);

    const items = (await history(sid)).body.items;
    expect(items.map((item: { labels?: unknown }) => item.labels)).to.deep.equal([
      { step: '3', 'ns:child.x-1': 'é 😀 "quoted"' },
      undefined,
      { step: '1', source: 'input' },
    ]);
    const version = await fixture.api.request('GET', '/v1/sessions/{sid}/versions/{n}', { params: { sid, n: 1 } });
    expect(version.body.labels).to.deep.equal({ step: '1', source: 'input' });
    const stream = await watch(fixture.server.baseUrl, fixture.server.token, sid, { query: { after: 0 } });
    const events = [await stream.next(5000), await stream.next(5000), await stream.next(5000)];
    stream.close();
    expect(events.map((event) => (JSON.parse(event!.data) as { labels?: unknown }).labels)).to.deep.equal([
      { step: '1', source: 'input' },
      undefined,
      { step: '3', 'ns:child.x-1': 'é 😀 "quoted"' },
    ]);
  });

  it('filters history on every label given, exactly (case, type of text, absent labels), with limit and before', async () => {
    const sid = newSid();
    const steps = ['0', '1', '2', '3', '4', '5'];
    for (const step of steps) {
      expect((await save(sid, { step }, { step, source: Number(step) % 2 === 0 ? 'input' : 'loop' })).status).to.equal(201);
    }
    expect((await save(sid, { step: 'none' })).status).to.equal(201);

    expect((await filtered(sid, { source: 'input' })).items.map((item) => item.version)).to.deep.equal([5, 3, 1]);
    expect((await filtered(sid, { source: 'input', step: '2' })).items.map((item) => item.version)).to.deep.equal([3]);
    expect((await filtered(sid, { source: 'loop', step: '2' })).items).to.deep.equal([]);
    expect((await filtered(sid, { source: 'Input' })).items, 'values compare exactly, case included').to.deep.equal([]);
    expect((await filtered(sid, { step: '02' })).items, 'values are text, never numbers').to.deep.equal([]);
    expect((await filtered(sid, { missing: '' })).items, 'an absent label matches nothing, not even ""').to.deep.equal([]);
    expect((await filtered(sid, {})).items, '{} filters nothing').to.have.length(7);

    const first = await filtered(sid, { source: 'loop' }, { limit: 2 });
    expect(first.items.map((item) => item.version)).to.deep.equal([6, 4]);
    expect(first.next).to.equal(4);
    const second = await filtered(sid, { source: 'loop' }, { limit: 2, before: first.next! });
    expect(second.items.map((item) => item.version)).to.deep.equal([2]);
    expect(second.next).to.equal(null);
  });

  it('refuses labels that are not an object of up to 64 names to strings, 1000 characters in all (400, nothing written)', async () => {
    const sid = newSid();
    expect((await save(sid, { n: 0 })).status).to.equal(201);
    const tooMany = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    const sixtyFour = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${i}`, '']));
    // {"v":"…"} is 8 characters besides the value: 992 code points of value make 1000 in all.
    const atLimit = { v: '😀'.repeat(992) };
    for (const labels of [[], 'text', { step: 3 }, { 'a b': 'x' }, { ['x'.repeat(65)]: 'x' }, { v: '😀'.repeat(993) }, tooMany]) {
      const response = await fixture.api.request('PUT', STATE, { params: { sid }, json: { n: 1 }, query: { labels: JSON.stringify(labels) } });
      expect(response.status, JSON.stringify(labels).slice(0, 80)).to.equal(400);
      expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
    }
    const notJson = await fixture.api.request('PUT', STATE, { params: { sid }, json: { n: 1 }, query: { labels: '{step:1}' } });
    expect(notJson.status).to.equal(400);
    const badFilter = await history(sid, { labels: '["step"]' });
    expect(badFilter.status).to.equal(400);
    expect((await history(sid)).body.items).to.have.length(1);

    expect((await save(sid, { n: 2 }, atLimit)).status, 'at the length limit').to.equal(201);
    expect((await history(sid, { limit: 1 })).body.items[0].labels).to.deep.equal(atLimit);
    expect((await save(sid, { n: 3 }, sixtyFour)).status, '64 labels').to.equal(201);
    expect((await history(sid, { limit: 1 })).body.items[0].labels).to.deep.equal(sixtyFour);
  });

  it('keeps no labels for a write that changes nothing, and replays a keyed write only with the same labels', async () => {
    const sid = newSid();
    expect((await save(sid, { n: 1 }, { step: '1' })).status).to.equal(201);
    const unchanged = await save(sid, { n: 1 }, { step: 'other' });
    expect(unchanged.status).to.equal(200);
    expect(unchanged.body.changed).to.equal(false);
    expect((await filtered(sid, { step: 'other' })).items).to.deep.equal([]);

    const key = { 'idempotency-key': `labels-${sid}` };
    expect((await save(sid, { n: 2 }, { step: '2' }, key)).status).to.equal(201);
    const replayed = await save(sid, { n: 2 }, { step: '2' }, key);
    expect(replayed.headers.get('idempotent-replayed')).to.equal('true');
    const otherLabels = await save(sid, { n: 2 }, { step: 'two' }, key);
    expect(otherLabels.status, 'the same key with other labels is another request').to.equal(422);
  });

  it('removes the labels with the session when it is purged', async () => {
    const sid = newSid();
    expect((await save(sid, { n: 1 }, { step: '1' })).status).to.equal(201);
    expect((await fixture.api.request('DELETE', '/v1/sessions/{sid}', { params: { sid }, query: { purge: true } })).status).to.equal(204);
    const [rows] = await fixture.db.pool.query('SELECT COUNT(*) AS n FROM events WHERE session_id = ?', [sid]);
    expect((rows as Array<{ n: number }>)[0]!.n).to.equal(0);
    expect((await save(sid, { n: 1 })).status).to.equal(201);
    expect((await history(sid)).body.items[0].labels).to.equal(undefined);
  });
});

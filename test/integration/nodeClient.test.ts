import { expect } from 'chai';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createClient, createKeyValueStore, SessionStoreError, type SessionStoreClient } from '../../src/client/index.js';
import { useTestServer } from '../helpers/api.js';

describe('Node client', function () {
  this.timeout(60_000);
  const fixture = useTestServer();
  let client: SessionStoreClient;

  before(async () => {
    client = createClient({ baseUrl: fixture.server.baseUrl, token: fixture.server.token });
  });

  const versions = async (sid: string): Promise<number> => (await client.history(sid, { limit: 1000 })).items.length;

  it('saves, loads, lists history, diffs, restores, forks and deletes', async () => {
    const first = await client.save('n-1', { step: 1, items: ['a'] }, { message: 'start' });
    expect(first).to.include({ version: 1, changed: true });
    await client.save('n-1', { step: 2, items: ['a', 'b'] }, { expectedVersion: 1 });
    expect(await client.load('n-1')).to.deep.equal({ state: { step: 2, items: ['a', 'b'] }, version: 2 });
    expect((await client.load('n-1', { version: 1 }))!.state).to.deep.equal({ step: 1, items: ['a'] });
    expect((await client.load('n-1', { at: new Date(Date.now() + 60_000) }))!.version).to.equal(2);
    const history = await client.history('n-1');
    expect(history.items.map((item) => item.version)).to.deep.equal([2, 1]);
    expect(history.items[1]!.message).to.equal('start');
    expect((await client.version('n-1', 2)).patch.length).to.be.greaterThan(0);
    expect(await client.diff('n-1', 1, 2)).to.deep.include({ op: 'add', path: '/items/1', value: 'b' });
    expect((await client.patch('n-1', [{ op: 'replace', path: '/step', value: 3 }])).version).to.equal(3);
    expect((await client.restore('n-1', { version: 1 })).restored_from).to.equal(1);
    expect((await client.fork('n-1', 'n-1-copy')).forked_from).to.deep.equal({ session_id: 'n-1', version: 4 });
    expect((await client.list({ prefix: 'n-1' })).items.map((item) => item.session_id).sort()).to.deep.equal(['n-1', 'n-1-copy']);
    await client.delete('n-1-copy', { purge: true });
    expect(await client.load('n-1-copy')).to.equal(undefined);
  });

  it('compacts a session now: the history keeps the newest versions, an older one is gone (410)', async () => {
    for (let step = 1; step <= 6; step++) await client.save('n-compact', { step });
    expect(await client.compact('n-compact', { keep_versions: 2 })).to.deep.include({ session_id: 'n-compact', first_version: 5, head_version: 6, events_removed: 4 });
    expect((await client.history('n-compact')).items.map((item) => item.version)).to.deep.equal([6, 5]);
    expect((await client.load('n-compact', { version: 5 }))!.state).to.deep.equal({ step: 5 });
    const gone = await client.load('n-compact', { version: 4 }).catch((error: unknown) => error);
    expect((gone as SessionStoreError).status).to.equal(410);
    // {} (the default): the policy that holds, which here keeps everything.
    expect(await client.compact('n-compact')).to.deep.include({ first_version: 5, events_removed: 0 });
  });

  it('raises typed errors carrying the problem body; a conflict carries current_version', async () => {
    await client.save('n-2', { a: 1 });
    const conflict = await client.save('n-2', { a: 2 }, { expectedVersion: 7 }).catch((error: unknown) => error);
    expect(conflict).to.be.instanceOf(SessionStoreError);
    expect((conflict as SessionStoreError).status).to.equal(412);
    expect((conflict as SessionStoreError).currentVersion).to.equal(1);
    // The request's id, as the server logged it, to find its log line.
    const requestId = (conflict as SessionStoreError).requestId;
    expect(requestId).to.match(/^[0-9a-f-]{36}$/);
    expect((conflict as SessionStoreError).message).to.include(`(request ${requestId})`);
    const unauthorized = await createClient({ baseUrl: fixture.server.baseUrl, token: 'sst_0123456789ab_' + 'x'.repeat(43) })
      .load('n-2')
      .catch((error: unknown) => error);
    expect((unauthorized as SessionStoreError).status).to.equal(401);
    expect((unauthorized as SessionStoreError).problem.detail).to.match(/unknown API key/);
    const bad = await client.patch('n-2', [{ op: 'remove', path: '/missing' }]).catch((error: unknown) => error);
    expect((bad as SessionStoreError).status).to.equal(422);
  });

  it('retries a save whose answer was lost with the same Idempotency-Key: one version, not two', async () => {
    let calls = 0;
    const keys: string[] = [];
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      keys.push(new Headers(init?.headers).get('idempotency-key') ?? '');
      const response = await fetch(input, init);
      if (calls === 1) throw new TypeError('fetch failed: the connection dropped before the answer arrived');
      return response;
    };
    const retrying = createClient({ baseUrl: fixture.server.baseUrl, token: fixture.server.token, fetch: flaky, backoffMs: 5 });
    await client.save('n-3', { n: 0 });
    const answer = await retrying.save('n-3', { n: 1 });
    expect(calls).to.equal(2);
    expect(keys[0]).to.equal(keys[1]);
    expect(answer.version).to.equal(2);
    expect(await versions('n-3')).to.equal(2);
  });

  it('retries on 503 with backoff and the same Idempotency-Key (an answer lost at a node kill never becomes a second version), then gives up with SessionStoreUnavailableError', async () => {
    let calls = 0;
    const keys: (string | null)[] = [];
    const unavailable: typeof fetch = async (input, init) => {
      calls++;
      keys.push(new Headers(init?.headers).get('idempotency-key'));
      if (calls === 1) {
        // The write is stored, but its answer is a 503 (a connection lost during COMMIT).
        await fetch(input, init);
        return new Response('{}', { status: 503, headers: { 'retry-after': '1' } });
      }
      if (calls === 2) return new Response('{}', { status: 503 });
      return fetch(input, init);
    };
    const retrying = createClient({ baseUrl: fixture.server.baseUrl, token: fixture.server.token, fetch: unavailable, backoffMs: 5 });
    expect((await retrying.save('n-4', { ok: true })).version).to.equal(1);
    expect(calls).to.equal(3);
    expect(keys[0]).to.be.a('string');
    expect(keys).to.deep.equal([keys[0], keys[0], keys[0]]);
    expect((await retrying.history('n-4')).items).to.have.length(1);
    const down = createClient({ baseUrl: 'http://127.0.0.1:9', token: fixture.server.token, retries: 2, backoffMs: 5, timeoutMs: 500 });
    const error = await down.load('x').catch((caught: unknown) => caught);
    expect((error as Error).name).to.equal('SessionStoreUnavailableError');
  });

  describe('key-value adapter', () => {
    it('batches the sets of one debounce window into one write (durability: debounce), and reads its own writes', async () => {
      const store = createKeyValueStore({ client, sessionId: 'kv-1', durability: 'debounce', debounceMs: 50 });
      await store.restore();
      await store.set({ 'creds.json': { me: 'bot' }, 'pre-key-1.json': { k: 1 } });
      await store.set({ 'pre-key-2.json': { k: 2 }, 'pre-key-1.json': null });
      expect(await store.get(['creds.json', 'pre-key-1.json', 'pre-key-2.json'])).to.deep.equal({
        'creds.json': { me: 'bot' },
        'pre-key-2.json': { k: 2 },
      });
      await store.flush();
      expect(await versions('kv-1')).to.equal(1);
      await store.set({ 'app-state/sync~key/1': { x: 1 } });
      await store.set({ 'pre-key-2.json': null });
      await store.close();
      expect(await versions('kv-1')).to.equal(2);
      expect((await client.load('kv-1'))!.state).to.deep.equal({ 'creds.json': { me: 'bot' }, 'app-state/sync~key/1': { x: 1 } });

      const restarted = createKeyValueStore({ client, sessionId: 'kv-1' });
      await restarted.restore();
      expect(await restarted.get(['creds.json', 'app-state/sync~key/1'])).to.deep.equal({ 'creds.json': { me: 'bot' }, 'app-state/sync~key/1': { x: 1 } });
    });

    it('two adapters racing on one session: one gets a 412, re-reads, and nothing is lost', async () => {
      await client.save('kv-2', { shared: 0 });
      const a = createKeyValueStore({ client, sessionId: 'kv-2', durability: 'debounce', debounceMs: 10_000 });
      const b = createKeyValueStore({ client, sessionId: 'kv-2', durability: 'debounce', debounceMs: 10_000 });
      await Promise.all([a.restore(), b.restore()]);
      for (let round = 0; round < 5; round++) {
        await a.set({ [`a-${round}`]: round, shared: `a${round}` });
        await b.set({ [`b-${round}`]: round });
        await Promise.all([a.flush(), b.flush()]);
      }
      const { state } = (await client.load<Record<string, unknown>>('kv-2'))!;
      for (let round = 0; round < 5; round++) {
        expect(state[`a-${round}`], `a-${round}`).to.equal(round);
        expect(state[`b-${round}`], `b-${round}`).to.equal(round);
      }
      expect(state.shared).to.equal('a4');
      expect(await versions('kv-2')).to.equal(11);
    });

    it('resolves an awaited set() only once it is stored (the default), one write for the sets made together', async () => {
      const store = createKeyValueStore({ client, sessionId: 'kv-3' });
      await store.restore();
      await Promise.all([store.set({ 'creds.json': { me: 'bot' } }), store.set({ 'pre-key-1.json': { k: 1 } })]);
      expect((await client.load('kv-3'))?.state).to.deep.equal({ 'creds.json': { me: 'bot' }, 'pre-key-1.json': { k: 1 } });
      await store.set({ 'pre-key-1.json': null, 'pre-key-2.json': { k: 2 } });
      expect((await client.load('kv-3'))?.state).to.deep.equal({ 'creds.json': { me: 'bot' }, 'pre-key-2.json': { k: 2 } });
      expect(await versions('kv-3')).to.equal(2);
      // While the write is on its way, reads answer what was set, not the stored value before it.
      const writing = store.set({ 'pre-key-2.json': { k: 'two' } });
      await nextTurn();
      expect(await store.get(['pre-key-2.json'])).to.deep.equal({ 'pre-key-2.json': { k: 'two' } });
      await writing;
    });

    it('leaves keys that are not set out of what get() answers', async () => {
      const store = createKeyValueStore({ client, sessionId: 'kv-4' });
      await store.restore();
      await store.set({ 'a.json': { a: 1 }, 'b.json': null });
      await store.flush();
      const got = await store.get(['a.json', 'b.json', 'c.json']);
      expect(Object.keys(got)).to.deep.equal(['a.json']);
    });

    it('takes a deleted session for "no session" on restore(), and does not bring a purged one back with only its latest keys', async () => {
      await client.save('kv-5', { 'creds.json': { me: 'old' } });
      await client.delete('kv-5');
      const store = createKeyValueStore({ client, sessionId: 'kv-5' });
      await store.restore(); // a restarted bot after a logout: no throw
      expect(await store.get(['creds.json'])).to.deep.equal({});
      await store.set({ 'creds.json': { me: 'new' } });
      await store.flush();
      expect(store.sessionId).to.equal('kv-5.gen-2');
      expect((await client.load('kv-5.gen-2'))?.state).to.deep.equal({ 'creds.json': { me: 'new' } });

      await client.save('kv-6', { 'creds.json': { me: 'bot' }, 'pre-key-1.json': { k: 1 } });
      const running = createKeyValueStore({ client, sessionId: 'kv-6' });
      await running.restore();
      await client.delete('kv-6', { purge: true }); // another process logged out
      const late = await running
        .set({ 'pre-key-2.json': { k: 2 } })
        .then(() => running.flush())
        .then(
          () => 'stored',
          (error: unknown) => error,
        );
      expect((late as SessionStoreError).status).to.equal(404);
      expect(await client.load('kv-6')).to.equal(undefined);
    });
  });
});

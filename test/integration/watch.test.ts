import { expect } from 'chai';
import fastJsonPatch from 'fast-json-patch';
import { get, type IncomingMessage } from 'node:http';
import { createKey, revokeKey } from '../../src/access/keys.js';
import { createClient, SessionStoreError, type FeedChange } from '../../src/client/index.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { startTestServer, type TestServer, useTestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { watch, type EventStreamReader, type StreamEvent } from '../helpers/eventStream.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';

/** The next `count` events of a stream; fails on an end or a silence. */
async function take(stream: EventStreamReader, count: number): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  while (events.length < count) {
    const event = await stream.next();
    if (!event) throw new Error(`the stream ended after ${events.length} of ${count} events (${stream.ended()})`);
    events.push(event);
  }
  return events;
}

const versionsOf = (events: StreamEvent[]): number[] => events.map((event) => Number(event.id));

/** Nothing more arrives for a while: no version twice, none invented. */
async function expectSilence(stream: EventStreamReader, ms = 400): Promise<void> {
  const extra = await stream.next(ms).catch(() => undefined);
  expect(extra, 'an event nobody wrote').to.equal(undefined);
}

describe('change feed: GET /v1/sessions/{sid}/watch across two server processes', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let token: string;
  let watcher: ServerProcess;
  let writer: ServerProcess;

  before(async () => {
    db = await createTestDatabase();
    token = (await createKey(db.pool, { tenant: 'default', role: 'write' })).token;
    // FEED_POLL_MS left at its default: the delay asserted below is the one a deployment gets.
    const env = { DATABASE_URL: formatDatabaseUrl(db.target), CHECKPOINT_EVERY: '5', DB_POOL_SIZE: '6' };
    [watcher, writer] = await Promise.all([spawnServer(env, token), spawnServer(env, token)]);
  });
  after(async () => {
    await Promise.all([watcher, writer].map((server) => server?.stop()));
    await db.drop();
  });

  it('tells a watcher on one process every version written through the other: in order, once, each with its patch, promptly', async () => {
    const sid = 'fed';
    await writer.api.request('PUT', STATE, { params: { sid }, json: { items: [], title: 'start' } });
    const stream = await watch(watcher.baseUrl, token, sid, { query: { after: 0 } });
    expect(stream.status).to.equal(200);
    expect(stream.headers.get('content-type')).to.match(/^text\/event-stream/);
    expect(stream.headers.get('cache-control')).to.equal('no-store');
    const [first] = await take(stream, 1);
    expect(first!.event).to.equal('version');
    expect(JSON.parse(first!.data).patch).to.deep.equal([{ op: 'add', path: '', value: { items: [], title: 'start' } }]);

    // One at a time, each timed from its acknowledgement to its event on the other process.
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      await writer.api.request('PATCH', STATE, {
        params: { sid },
        query: { message: `item ${i}` },
        headers: { 'content-type': 'application/json-patch+json' },
        raw: JSON.stringify([{ op: 'add', path: '/items/-', value: i }]),
      });
      const acknowledged = Date.now();
      await take(stream, 1);
      delays.push(Date.now() - acknowledged);
    }
    // Then many at once, racing.
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        writer.api.request('PATCH', STATE, {
          params: { sid },
          headers: { 'content-type': 'application/json-patch+json' },
          raw: JSON.stringify([{ op: 'add', path: '/items/-', value: 100 + i }]),
        }),
      ),
    );
    await writer.api.request('PUT', STATE, { params: { sid }, json: { items: ['replaced'], title: 'end' } });
    const rest = await take(stream, 21);
    expect(versionsOf(rest)).to.deep.equal(Array.from({ length: 21 }, (_, i) => 12 + i));
    await expectSilence(stream);
    stream.close();

    // Read again from the start: the patches, applied in order from nothing, give the state the
    // store holds, and the metadata is the history's, entry for entry.
    const replay = await watch(watcher.baseUrl, token, sid, { query: { after: 0 } });
    const everything = await take(replay, 32);
    replay.close();
    expect(versionsOf(everything)).to.deep.equal(Array.from({ length: 32 }, (_, i) => i + 1));
    let state: unknown = null;
    for (const event of everything) state = fastJsonPatch.applyPatch(state, JSON.parse(event.data).patch, false, false).newDocument;
    expect(state).to.deep.equal((await writer.api.request('GET', STATE, { params: { sid } })).body);
    const history = await writer.api.request('GET', '/v1/sessions/{sid}/history', { params: { sid }, query: { limit: 100 } });
    const metadata = everything.map((event) => {
      const { patch: _patch, load_state: _load, ...item } = JSON.parse(event.data);
      return item;
    });
    expect(metadata).to.deep.equal([...history.body.items].reverse());

    // Default FEED_POLL_MS is 100 ms: the documented bound is under 250 ms; a busy test machine gets slack.
    delays.sort((a, b) => a - b);
    expect(delays[Math.floor(delays.length / 2)], `delays ${delays.join(', ')} ms`).to.be.below(400);
  });

  it('a watcher that disconnects and resumes with Last-Event-ID gets exactly the versions it missed, then the live ones', async () => {
    const sid = 'resumed';
    await writer.api.request('PUT', STATE, { params: { sid }, json: { n: 0 } });
    const stream = await watch(watcher.baseUrl, token, sid);
    // Without after: only versions to come, and the stream says where it starts (the head).
    await waitFor(() => stream.lastId() === '1', { what: 'the id the stream opens with' });
    for (let n = 1; n <= 5; n++) await writer.api.request('PUT', STATE, { params: { sid }, json: { n } });
    expect(versionsOf(await take(stream, 5))).to.deep.equal([2, 3, 4, 5, 6]);
    stream.close();

    for (let n = 6; n <= 12; n++) await writer.api.request('PUT', STATE, { params: { sid }, json: { n } });
    // Resumed on the other process, as a client behind a load balancer may be.
    const resumed = await watch(writer.baseUrl, token, sid, { headers: { 'Last-Event-ID': stream.lastId()! } });
    expect(versionsOf(await take(resumed, 7))).to.deep.equal([7, 8, 9, 10, 11, 12, 13]);
    for (let n = 13; n <= 15; n++) await watcher.api.request('PUT', STATE, { params: { sid }, json: { n } });
    expect(versionsOf(await take(resumed, 3))).to.deep.equal([14, 15, 16]);
    await expectSilence(resumed);
    resumed.close();

    // Last-Event-ID wins over ?after= (an EventSource reconnects to the URL it was given).
    const both = await watch(watcher.baseUrl, token, sid, { query: { after: 1 }, headers: { 'Last-Event-ID': '14' } });
    expect(versionsOf(await take(both, 2))).to.deep.equal([15, 16]);
    both.close();
  });

  it('a stream cut before its first version resumes from the id it opened with: nothing written meanwhile is lost', async () => {
    const sid = 'cut-early';
    await writer.api.request('PUT', STATE, { params: { sid }, json: { n: 0 } });
    const stream = await watch(watcher.baseUrl, token, sid);
    await waitFor(() => stream.lastId(), { what: 'the id the stream opens with' });
    stream.close();
    await writer.api.request('PUT', STATE, { params: { sid }, json: { n: 1 } });
    const resumed = await watch(watcher.baseUrl, token, sid, { headers: { 'Last-Event-ID': stream.lastId()! } });
    expect(versionsOf(await take(resumed, 1))).to.deep.equal([2]);
    resumed.close();
  });

  it('a delete ends the stream after its last version with an event saying so; a purge too', async () => {
    await writer.api.request('PUT', STATE, { params: { sid: 'doomed' }, json: { n: 0 } });
    const stream = await watch(watcher.baseUrl, token, 'doomed');
    await writer.api.request('PUT', STATE, { params: { sid: 'doomed' }, json: { n: 1 } });
    await writer.api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'doomed' } });
    const [last, deleted] = await take(stream, 2);
    expect(last!.id).to.equal('2');
    expect(deleted!.event).to.equal('deleted');
    expect(deleted!.id).to.equal(undefined);
    expect(JSON.parse(deleted!.data)).to.include({ purged: false, version: 2 });
    expect(await stream.next()).to.equal(undefined);
    expect(stream.ended()).to.equal('ended');
    expect((await watch(watcher.baseUrl, token, 'doomed')).status).to.equal(410);

    await writer.api.request('PUT', STATE, { params: { sid: 'erased' }, json: { n: 0 } });
    const erased = await watch(watcher.baseUrl, token, 'erased');
    await waitFor(() => erased.lastId(), { what: 'the stream to open' });
    await writer.api.request('DELETE', '/v1/sessions/{sid}', { params: { sid: 'erased' }, query: { purge: true } });
    const [gone] = await take(erased, 1);
    expect(JSON.parse(gone!.data)).to.deep.equal({ purged: true });
    expect(await erased.next()).to.equal(undefined);
    expect((await watch(watcher.baseUrl, token, 'erased')).status).to.equal(404);
  });

  it('refuses, before any stream opens, a malformed or too-new after / Last-Event-ID (400), an unknown session (404)', async () => {
    await writer.api.request('PUT', STATE, { params: { sid: 'checked' }, json: { n: 0 } });
    const refused = async (options: Parameters<typeof watch>[3], name: string, sid = 'checked'): Promise<void> => {
      const answer = await watch(watcher.baseUrl, token, sid, options);
      expect(answer.status, JSON.stringify(options)).to.equal(400);
      expect(answer.headers.get('content-type')).to.equal('application/problem+json');
      expect(answer.problem.detail).to.include(name);
    };
    for (const after of ['-1', 'x', '01', '1.5', '']) await refused({ query: { after } }, '"after"');
    await refused({ query: { after: 2 } }, 'beyond the head');
    for (const id of ['x', '-1', '007', '1.0', '99999999999']) await refused({ headers: { 'Last-Event-ID': id } }, 'Last-Event-ID');
    await refused({ headers: { 'Last-Event-ID': '2' } }, 'Last-Event-ID 2 is beyond the head of session checked (version 1)');
    expect((await watch(watcher.baseUrl, token, 'never-saved')).status).to.equal(404);

    // A read key may watch.
    const reader = (await createKey(db.pool, { tenant: 'default', role: 'read' })).token;
    const stream = await watch(watcher.baseUrl, reader, 'checked', { query: { after: 0 } });
    expect(versionsOf(await take(stream, 1))).to.deep.equal([1]);
    stream.close();
    // Another tenant's session is one that does not exist.
    const stranger = (await createKey(db.pool, { tenant: 'other', role: 'read' })).token;
    expect((await watch(watcher.baseUrl, stranger, 'checked')).status).to.equal(404);
    expect((await watch(watcher.baseUrl, 'sst_0123456789ab_' + 'x'.repeat(43), 'checked')).status).to.equal(401);
  });

  it('SIGTERM ends the open streams at once: the server does not wait out SHUTDOWN_GRACE_MS for them', async () => {
    const env = { DATABASE_URL: formatDatabaseUrl(db.target), SHUTDOWN_GRACE_MS: '60000' };
    const server = await spawnServer(env, token);
    await server.api.request('PUT', STATE, { params: { sid: 'stopping' }, json: { n: 0 } });
    const streams = await Promise.all([0, 1, 2].map(() => watch(server.baseUrl, token, 'stopping')));
    await waitFor(() => streams.every((stream) => stream.lastId()), { what: 'the streams to open' });
    const started = Date.now();
    expect(await server.stop('SIGTERM')).to.equal(0);
    expect(Date.now() - started).to.be.below(10_000);
    for (const stream of streams) {
      expect(await stream.next()).to.equal(undefined);
      expect(stream.ended()).to.equal('ended');
    }
  });
});

describe('change feed: limits, slow readers, heartbeats, keys (one process)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;

  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    await db.drop();
  });
  afterEach(async () => {
    await server?.close();
  });

  it('bounds open streams per key (FEED_MAX_STREAMS_PER_KEY) and per process (FEED_MAX_STREAMS): 429 with Retry-After', async () => {
    server = await startTestServer(db.pool, { feedMaxStreamsPerKey: 2, feedMaxStreams: 3 });
    await server.api.request('PUT', STATE, { params: { sid: 'limited' }, json: { n: 0 } });
    const other = (await createKey(db.pool, { tenant: 'default', role: 'read' })).token;
    const first = await watch(server.baseUrl, server.token, 'limited');
    const second = await watch(server.baseUrl, server.token, 'limited');
    const third = await watch(server.baseUrl, server.token, 'limited');
    expect([first.status, second.status, third.status]).to.deep.equal([200, 200, 429]);
    expect(third.problem.detail).to.include('FEED_MAX_STREAMS_PER_KEY');
    expect(Number(third.headers.get('retry-after'))).to.be.at.least(1);
    // Another key still may, up to the process's limit.
    const fourth = await watch(server.baseUrl, other, 'limited');
    const fifth = await watch(server.baseUrl, other, 'limited');
    expect([fourth.status, fifth.status]).to.deep.equal([200, 429]);
    expect(fifth.problem.detail).to.include('FEED_MAX_STREAMS');
    // A closed stream frees its place.
    first.close();
    await waitFor(() => server.app.feed.stats().streams === 2, { what: 'the closed stream to be let go' });
    const again = await watch(server.baseUrl, server.token, 'limited');
    expect(again.status).to.equal(200);
    for (const stream of [second, fourth, again]) stream.close();
  });

  it('costs one head query per poll whatever the number of watchers; reads each new version once', async () => {
    server = await startTestServer(db.pool, { feedPollMs: 20 });
    await server.api.request('PUT', STATE, { params: { sid: 'crowded' }, json: { n: 0 } });
    await server.api.request('PUT', STATE, { params: { sid: 'quiet' }, json: { n: 0 } });
    const crowd = await Promise.all(Array.from({ length: 40 }, () => watch(server.baseUrl, server.token, 'crowded')));
    const lone = await watch(server.baseUrl, server.token, 'quiet');
    await waitFor(() => server.app.feed.stats().streams === 41, { what: 'the streams to open' });
    const before = server.app.feed.stats();
    await waitFor(() => server.app.feed.stats().polls >= before.polls + 10, { what: 'ten polls' });
    const idle = server.app.feed.stats();
    // Idle: one query per poll (a key check may fall in).
    expect(idle.queries - before.queries).to.be.at.most(idle.polls - before.polls + 1);
    for (let n = 1; n <= 5; n++) await server.api.request('PUT', STATE, { params: { sid: 'crowded' }, json: { n } });
    for (const stream of crowd) expect(versionsOf(await take(stream, 5))).to.deep.equal([2, 3, 4, 5, 6]);
    const busy = server.app.feed.stats();
    // Five versions for forty watchers: at most one events read per poll that saw them, not forty.
    expect(busy.queries - idle.queries).to.be.at.most(busy.polls - idle.polls + 5 + 1);
    for (const stream of [...crowd, lone]) stream.close();
  });

  it('drops a reader that does not keep up rather than queue for it without end; it resumes with Last-Event-ID', async () => {
    server = await startTestServer(db.pool, { feedStreamBufferBytes: 64 * 1024, feedPatchLimitBytes: 4 * 1024 * 1024 });
    const sid = 'firehose';
    const big = (n: number): unknown => ({ n, blob: `${n}`.padEnd(400_000, String.fromCharCode(97 + (n % 26))) });
    await server.api.request('PUT', STATE, { params: { sid }, json: big(0) });
    // A reader that reads nothing: node's HTTP client stops reading the socket once its buffer is full.
    const response = await new Promise<IncomingMessage>((resolve) => {
      get(`${server.baseUrl}/v1/sessions/${sid}/watch`, { headers: { authorization: `Bearer ${server.token}` } }, resolve);
    });
    expect(response.statusCode).to.equal(200);
    response.pause();
    // The cut may come while it is paused: be listening already.
    const closed = new Promise<void>((resolve) => response.once('close', () => resolve()));
    response.on('error', () => undefined);
    await waitFor(() => server.app.feed.stats().streams === 1, { what: 'the stream to open' });
    let written = 0;
    while (server.app.feed.stats().streams > 0) {
      expect(written, 'versions of 400 KB written with no reader, and still no drop').to.be.below(120);
      await server.api.request('PUT', STATE, { params: { sid }, json: big(++written) });
    }
    // What reached the reader before the cut: whole events, then the connection ends early.
    let received = '';
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => (received += chunk));
    response.resume();
    await closed;
    expect(response.complete, 'the response was cut, not ended').to.equal(false);
    const ids = [...received.matchAll(/^id: (\d+)\nevent: version\ndata: [^\n]*\n\n/gm)].map((match) => Number(match[1]));
    expect(ids.length).to.be.below(written);
    const last = ids.at(-1) ?? 1;
    const resumed = await watch(server.baseUrl, server.token, sid, { headers: { 'Last-Event-ID': String(last) } });
    const rest = await take(resumed, written + 1 - last);
    expect(versionsOf(rest)).to.deep.equal(Array.from({ length: written + 1 - last }, (_, i) => last + 1 + i));
    resumed.close();
  });

  it('sends heartbeat comments on a silent stream, the patch only up to FEED_PATCH_LIMIT_BYTES, and ends the streams of a revoked key', async () => {
    server = await startTestServer(db.pool, { feedHeartbeatMs: 200, feedPatchLimitBytes: 200 });
    await server.api.request('PUT', STATE, { params: { sid: 'beating' }, json: { text: 'short' } });
    const { key, token } = await createKey(db.pool, { tenant: 'default', role: 'read' });
    const stream = await watch(server.baseUrl, token, 'beating');
    await waitFor(() => stream.comments.length >= 2, { what: 'two heartbeats' });
    expect(stream.comments[0]).to.equal('heartbeat');

    await server.api.request('PUT', STATE, { params: { sid: 'beating' }, json: { text: 'x'.repeat(1000) } });
    await server.api.request('PATCH', STATE, {
      params: { sid: 'beating' },
      headers: { 'content-type': 'application/json-patch+json' },
      raw: JSON.stringify([{ op: 'add', path: '/more', value: 1 }]),
    });
    const [large, small] = (await take(stream, 2)).map((event) => JSON.parse(event.data));
    expect(large).to.include({ version: 2, load_state: true });
    expect(large).not.to.have.property('patch');
    expect(small.patch).to.deep.equal([{ op: 'add', path: '/more', value: 1 }]);

    await revokeKey(db.pool, key.id);
    expect(await stream.next(5000)).to.equal(undefined);
    expect((await watch(server.baseUrl, token, 'beating')).status).to.equal(401);
  });
});

describe('change feed clients: the Node client watch()', function () {
  this.timeout(60_000);
  const fixture = useTestServer();


  it('iterates the versions from `after`, resumes by itself when the connection is cut, and ends with the delete', async () => {
    const client = createClient({ baseUrl: fixture.server.baseUrl, token: fixture.server.token, backoffMs: 20 });
    await client.save('n-watch', { n: 0 });
    const seen: FeedChange[] = [];
    const watching = (async () => {
      for await (const change of client.watch('n-watch', { after: 0 })) seen.push(change);
    })();
    await waitFor(() => seen.length === 1, { what: 'version 1' });
    for (let n = 1; n <= 3; n++) await client.save('n-watch', { n });
    await waitFor(() => seen.length === 4, { what: 'versions 2 to 4' });
    // Every connection cut (as a proxy or a restart would): the client resumes from version 4.
    fixture.server.http.closeAllConnections();
    for (let n = 4; n <= 6; n++) await client.save('n-watch', { n });
    await waitFor(() => seen.length === 7, { what: 'versions 5 to 7 after the cut' });
    await client.delete('n-watch');
    await watching;
    expect(seen.map((change) => (change.event === 'version' ? change.version : change.event))).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 'deleted']);
    const last = seen.at(-2)!;
    expect(last.event === 'version' && last.patch).to.deep.equal([{ op: 'replace', path: '', value: { n: 6 } }]);
  });

  it('stops when the caller leaves the loop or aborts; throws the refusal of a bad start', async () => {
    const client = createClient({ baseUrl: fixture.server.baseUrl, token: fixture.server.token });
    await client.save('n-watch-2', { n: 0 });
    for await (const change of client.watch('n-watch-2', { after: 0 })) {
      expect(change).to.include({ event: 'version', version: 1 });
      break;
    }
    await waitFor(() => fixture.server.app.feed.stats().streams === 0, { what: 'the stream left to be closed' });
    const controller = new AbortController();
    const aborted = (async () => {
      for await (const _ of client.watch('n-watch-2', { signal: controller.signal })) throw new Error('no version was written');
    })();
    await waitFor(() => fixture.server.app.feed.stats().streams === 1, { what: 'the stream to open' });
    controller.abort();
    await aborted;
    const refused = await (async () => {
      for await (const _ of client.watch('n-watch-2', { after: 9 })) return undefined;
      return undefined;
    })().catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(SessionStoreError);
    expect((refused as SessionStoreError).status).to.equal(400);
  });
});

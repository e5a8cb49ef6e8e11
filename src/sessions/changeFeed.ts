import type { DbInstant } from '../core/time.js';
import type { Pool } from '../db/pool.js';
import { ServiceUnavailableError, TooManyRequestsError, ValidationError } from '../errors.js';
import type { Logger } from '../log.js';
import { decodeJson } from '../store/codec.js';
import type { EventMetadata } from '../store/eventMetadata.js';
import { readFirstVersion } from '../store/sessionBase.js';
import { versionRemoved } from '../retention/keptVersions.js';
import { readFeedEvents, type FeedEventRecord, type VersionRange } from '../store/readFeedEvents.js';
import { readUsableKeyIds } from '../store/readUsableKeyIds.js';
import { readWatchedHeads, type WatchedHead } from '../store/readWatchedHeads.js';
import { requireLiveSession } from './liveSession.js';

/**
 * The change feed: every version a session gets, told to the streams that watch it, whichever
 * server process wrote it.
 *
 * MariaDB cannot notify, so each process polls: every `pollMs` one statement reads the head rows
 * of all the sessions its streams watch (readWatchedHeads: only moved heads come back), and when
 * some moved a second one reads their new events for all of them together (readFeedEvents). Each
 * new version is read once per process and handed to every stream that is up to date, so the cost
 * follows the number of watched sessions and of new versions, never the number of streams. A
 * stream that resumes from an older version first reads what it missed itself, a page at a time
 * and only as fast as its reader takes it; then it joins the live delivery.
 *
 * Memory per stream is bounded: live versions are queued to a stream whatever its reader does,
 * but a stream that still has more than `streamBufferBytes` waiting when the next version comes is
 * dropped (its reader resumes with Last-Event-ID): it holds at most that plus one version. A
 * stream whose reader takes nothing for two heartbeats while it catches up is dropped too.
 */

export interface FeedSettings {
  /** How often the watched heads are read: the longest a new version waits before it is sent, plus two queries. */
  pollMs: number;
  /** A comment line on a stream with nothing else to send for this long (proxies close silent connections); keys are re-checked as often. */
  heartbeatMs: number;
  /** A version whose patch from the version before is larger than this is sent without it (load the state instead). */
  patchLimitBytes: number;
  /** Bytes still waiting for a stream's reader when a version comes beyond which the stream is dropped. */
  streamBufferBytes: number;
  /** Open streams in this process; the next is answered 429. */
  maxStreams: number;
  /** Open streams of one API key in this process; the next is answered 429. */
  maxStreamsPerKey: number;
}

/** One version, as the feed tells it. */
export interface FeedVersion {
  version: number;
  metadata: EventMetadata;
  /** The RFC 6902 patch from the version before, as JSON text; undefined when larger than the limit. */
  patchText: string | undefined;
}

/** Why a stream ended on its own: the session was tombstoned (after its last version) or purged. */
export interface FeedEnd {
  purged: boolean;
  deletedAt: DbInstant | null;
  /** The head version at the tombstone; null for a purge. */
  version: number | null;
}

/** Why the feed closes a stream before its session ends. */
export type CloseReason = 'slow' | 'stalled' | 'revoked' | 'shutdown' | 'failed';

/** Where a stream's items go: implemented by the HTTP layer (Server-Sent Events). */
export interface FeedSink {
  /** Queues one version. */
  version(event: FeedVersion): void;
  /** The bytes queued that the reader has not taken yet. */
  queued(): number;
  /** Queues the end notice and ends the stream once its reader has taken everything. */
  end(notice: FeedEnd): void;
  /** Queues a heartbeat if nothing was queued for `idleMs`. */
  heartbeat(idleMs: number): void;
  /** Resolves true when the reader has room for more, false once the stream is closed. */
  ready(): Promise<boolean>;
  /** Closes the stream at once ('slow', 'stalled': dropped) or after what is queued. */
  close(reason: CloseReason): void;
  /** Registers what to do when the stream closes, for whatever reason (also the client leaving). */
  onClose(listener: () => void): void;
}

export interface WatchRequest {
  tenant: string;
  sessionId: string;
  keyId: string;
  /** Send the versions after this one first; undefined: only versions to come. */
  after: number | undefined;
  /** Where `after` came from, for the 400 that names it. */
  afterFrom: string;
}

export interface FeedStats {
  streams: number;
  sessions: number;
  polls: number;
  /** Statements run by the poll (heads, events, key checks), since the feed started. */
  queries: number;
}

export interface ChangeFeed {
  /**
   * Checks the request (a live session; `after` not beyond its head; the stream limits) and, when
   * it passes, starts a stream into the sink the callback makes, given the version the stream
   * starts after. Throws the 4xx/503 the client gets instead, before any stream exists.
   */
  watch(request: WatchRequest, makeSink: (start: number) => FeedSink): Promise<void>;
  stats(): FeedStats;
  /** Ends every stream (after what is queued) and stops polling; new watches answer 503. */
  close(): void;
}

/** Versions a stream reads per query while it catches up. */
const CATCH_UP_PAGE = 32;
/** Versions of one session, and of all sessions, one poll reads; the rest at once by the next poll. */
const POLL_SESSION_EVENTS = 32;
const POLL_EVENTS = 256;
/** Watched sessions per head query (one statement per this many: past it MariaDB's JSON_TABLE join slows down more than linearly). */
const POLL_CHUNK = 1000;

interface Watched {
  key: string;
  tenant: string;
  sessionId: string;
  createdAt: DbInstant;
  /** The feed has read (and delivered to its live streams) every version up to this one. */
  head: number;
  /** Seen by a poll: the session was tombstoned at this head version, or purged. */
  ending: FeedEnd | undefined;
  streams: Set<Stream>;
}

interface Stream {
  watched: Watched;
  keyId: string;
  sink: FeedSink;
  /** The last version queued to the sink. */
  sent: number;
  /** The head when the stream opened: it catches up to at least this. */
  target: number;
  /** Waiting for the poll: versions are queued to it as the poll reads them. */
  live: boolean;
  closed: boolean;
  wake: (() => void) | undefined;
}

export function createChangeFeed(pool: Pool, settings: FeedSettings, logger: Logger): ChangeFeed {
  const sessions = new Map<string, Watched>();
  const streamsByKey = new Map<string, number>();
  let streamCount = 0;
  let polls = 0;
  let queries = 0;
  let closed = false;
  let pollTimer: NodeJS.Timeout | undefined;
  let polling = false;
  let failing = false;
  const heartbeatTimer = setInterval(() => void heartbeat(), settings.heartbeatMs);
  heartbeatTimer.unref();

  /** A version record as the streams are given it: its patch decoded, or left out when too large. */
  async function toFeedVersion(record: FeedEventRecord): Promise<FeedVersion> {
    const { tenant: _tenant, sessionId: _sessionId, patch, wholeState, ...metadata } = record;
    let patchText: string | undefined;
    if (patch) patchText = await decodeJson(patch);
    else if (wholeState) {
      // Stored whole: the patch is the equivalent whole-document operation, as /versions/{n} gives it.
      patchText = `[{"op":"${record.version === 1 ? 'add' : 'replace'}","path":"","value":${await decodeJson(wholeState)}}]`;
    }
    return { version: record.version, metadata, patchText };
  }

  async function readVersions(ranges: VersionRange[]): Promise<Array<FeedVersion & { tenant: string; sessionId: string }>> {
    const records = await readFeedEvents(pool, ranges, settings.patchLimitBytes);
    return Promise.all(records.map(async (record) => ({ ...(await toFeedVersion(record)), tenant: record.tenant, sessionId: record.sessionId })));
  }

  function schedule(delay: number): void {
    if (closed || pollTimer || polling || sessions.size === 0) return;
    pollTimer = setTimeout(() => {
      pollTimer = undefined;
      void poll();
    }, delay);
    pollTimer.unref();
  }

  async function poll(): Promise<void> {
    polling = true;
    const started = Date.now();
    let again = false;
    try {
      again = await pollOnce();
      if (failing) logger.info('the change feed reads the database again');
      failing = false;
    } catch (error) {
      // The database away: streams stay open (heartbeats go on) and the next poll tries again.
      if (!failing && !closed) logger.warn('the change feed could not read the database; retrying', { error });
      failing = true;
    } finally {
      polling = false;
    }
    schedule(again ? 0 : Math.max(0, settings.pollMs - (Date.now() - started)));
  }

  /** One poll; true when some session has more versions than this poll read. */
  async function pollOnce(): Promise<boolean> {
    polls++;
    const watched = [...sessions.values()];
    const reads = new Map<string, { session: Watched; range: VersionRange }>();
    const endings = new Map<Watched, FeedEnd>();
    let budget = POLL_EVENTS;
    let again = false;
    for (let start = 0; start < watched.length; start += POLL_CHUNK) {
      const chunk = watched.slice(start, start + POLL_CHUNK);
      const list: WatchedHead[] = chunk.map((w) => ({ tenant: w.tenant, sessionId: w.sessionId, version: w.head, createdAt: w.createdAt }));
      queries++;
      for (const { index, head } of await readWatchedHeads(pool, list)) {
        const session = chunk[index]!;
        if (!head || head.createdAt !== session.createdAt || head.version < session.head) {
          // Purged (and maybe created again since): its versions are gone, nothing more to send.
          session.ending = { purged: true, deletedAt: null, version: null };
          continue;
        }
        if (head.deletedAt) endings.set(session, { purged: false, deletedAt: head.deletedAt, version: head.version });
        const behind = head.version - session.head;
        const count = Math.min(behind, POLL_SESSION_EVENTS, budget);
        if (count < behind) again = true;
        if (count > 0) {
          const range = { tenant: session.tenant, sessionId: session.sessionId, from: session.head + 1, to: session.head + count };
          reads.set(sessionOf(range), { session, range });
          budget -= count;
        }
      }
    }
    if (reads.size > 0) {
      queries++;
      const read = new Map<string, FeedVersion[]>();
      for (const version of await readVersions([...reads.values()].map(({ range }) => range))) {
        const list = read.get(sessionOf(version)) ?? [];
        list.push(version);
        read.set(sessionOf(version), list);
      }
      for (const [name, { session }] of reads) deliver(session, read.get(name) ?? []);
    }
    for (const [session, ending] of endings) {
      // A tombstone ends the streams once they have every version up to it.
      if (session.head >= (ending.version ?? 0)) session.ending = ending;
    }
    for (const session of watched) if (session.ending) for (const stream of session.streams) wakeUp(stream);
    return again;
  }

  /** The versions a poll read for one session, in order from session.head + 1: to every stream that is up to date. */
  function deliver(session: Watched, versions: FeedVersion[]): void {
    for (const version of versions) {
      if (version.version !== session.head + 1) break; // purged meanwhile: the next poll says so
      for (const stream of session.streams) {
        if (!stream.live || stream.closed || stream.sent !== session.head) continue;
        // A reader that has not taken what it was sent: cut it rather than queue without end (a
        // burst to a reader that keeps up is no reason: only what still waits from before counts).
        if (stream.sink.queued() > settings.streamBufferBytes) {
          closeStream(stream, 'slow');
          continue;
        }
        stream.sink.version(version);
        stream.sent = version.version;
      }
      session.head = version.version;
    }
    for (const stream of session.streams) wakeUp(stream);
  }

  function wakeUp(stream: Stream): void {
    const wake = stream.wake;
    stream.wake = undefined;
    wake?.();
  }

  function closeStream(stream: Stream, reason: CloseReason): void {
    if (stream.closed) return;
    stream.sink.close(reason); // its onClose listener unregisters it
  }

  /** A stream's own work: catch up from the database, then wait for the poll; end with its session. */
  async function run(stream: Stream): Promise<void> {
    const session = stream.watched;
    try {
      await follow(stream, session);
    } catch (error) {
      // The database failed it while catching up: close it; the reader resumes from what it got.
      logger.warn('a change feed stream failed while catching up', { error });
      closeStream(stream, 'failed');
    } finally {
      stream.live = false;
    }
  }

  async function follow(stream: Stream, session: Watched): Promise<void> {
    while (!stream.closed) {
      if (session.ending?.purged) return stream.sink.end(session.ending);
      const goal = Math.max(stream.target, session.head);
      if (stream.sent < goal) {
        stream.live = false;
        const from = stream.sent + 1;
        const range = { tenant: session.tenant, sessionId: session.sessionId, from, to: Math.min(goal, from + CATCH_UP_PAGE - 1) };
        const versions = await readVersions([range]);
        // The versions are gone: purged while the stream caught up.
        if (versions[0]?.version !== from) return stream.sink.end({ purged: true, deletedAt: null, version: null });
        for (const version of versions) {
          if (version.version !== stream.sent + 1) break;
          // Only as fast as the reader takes them: a page waits in memory, not in the socket.
          if (!(await stream.sink.ready()) || stream.closed) return;
          stream.sink.version(version);
          stream.sent = version.version;
        }
        continue;
      }
      if (session.ending) return stream.sink.end(session.ending);
      stream.live = true;
      await new Promise<void>((resolve) => (stream.wake = resolve));
    }
  }

  async function heartbeat(): Promise<void> {
    const streams = [...sessions.values()].flatMap((session) => [...session.streams]);
    for (const stream of streams) stream.sink.heartbeat(settings.heartbeatMs);
    // A stream outlives the request that opened it: see that its key is still good, one query for all.
    const keyIds = [...streamsByKey.keys()];
    if (keyIds.length === 0 || closed) return;
    try {
      queries++;
      const usable = await readUsableKeyIds(pool, keyIds);
      for (const stream of streams) if (!usable.has(stream.keyId)) closeStream(stream, 'revoked');
    } catch {
      // The database away: the next heartbeat checks again (the poll logs the outage).
    }
  }

  /** The refusals of a new stream: the server stopping (503), or a limit reached (429). */
  function admit(keyId: string): void {
    if (closed) throw new ServiceUnavailableError('the server is stopping: watch again (another process may answer)', 1);
    if (streamCount >= settings.maxStreams) {
      throw new TooManyRequestsError(`this server process has ${streamCount} open change feeds, its limit (FEED_MAX_STREAMS); retry later`, 5);
    }
    const ofKey = streamsByKey.get(keyId) ?? 0;
    if (ofKey >= settings.maxStreamsPerKey) {
      throw new TooManyRequestsError(
        `this API key has ${ofKey} open change feeds on this server process, its limit (FEED_MAX_STREAMS_PER_KEY): close one first`,
        5,
      );
    }
  }

  return {
    async watch(request, makeSink) {
      admit(request.keyId);
      const head = await requireLiveSession(pool, request.tenant, request.sessionId);
      if (request.after !== undefined && request.after > head.headVersion) {
        throw new ValidationError(
          `${request.afterFrom} ${request.after} is beyond the head of session ${request.sessionId} (version ${head.headVersion}): there is nothing after it to resume from`,
        );
      }
      // Versions retention removed cannot be sent: 410, naming the first one there is (issue 11).
      if (request.after !== undefined && request.after + 1 < head.headVersion) {
        const first = await readFirstVersion(pool, request.tenant, request.sessionId);
        if (request.after + 1 < first) throw versionRemoved(request.sessionId, `the versions after ${request.after}`, first);
      }
      // Again: other watches may have opened, or the server begun to stop, while the head was read.
      admit(request.keyId);

      const key = watchKey(request.tenant, request.sessionId, head.createdAt);
      let session = sessions.get(key);
      if (!session) {
        session = {
          key,
          tenant: request.tenant,
          sessionId: request.sessionId,
          createdAt: head.createdAt,
          head: head.headVersion,
          ending: undefined,
          streams: new Set(),
        };
        sessions.set(key, session);
      }
      const start = request.after ?? head.headVersion;
      const stream: Stream = {
        watched: session,
        keyId: request.keyId,
        sink: makeSink(start),
        sent: start,
        target: head.headVersion,
        live: false,
        closed: false,
        wake: undefined,
      };
      session.streams.add(stream);
      streamCount++;
      streamsByKey.set(request.keyId, (streamsByKey.get(request.keyId) ?? 0) + 1);
      stream.sink.onClose(() => {
        if (stream.closed) return;
        stream.closed = true;
        session.streams.delete(stream);
        if (session.streams.size === 0) sessions.delete(session.key);
        streamCount--;
        const left = (streamsByKey.get(stream.keyId) ?? 1) - 1;
        if (left === 0) streamsByKey.delete(stream.keyId);
        else streamsByKey.set(stream.keyId, left);
        wakeUp(stream);
      });
      schedule(settings.pollMs);
      void run(stream);
    },

    stats() {
      return { streams: streamCount, sessions: sessions.size, polls, queries };
    },

    close() {
      closed = true;
      clearInterval(heartbeatTimer);
      if (pollTimer) clearTimeout(pollTimer);
      pollTimer = undefined;
      for (const session of [...sessions.values()]) for (const stream of [...session.streams]) closeStream(stream, 'shutdown');
    },
  };
}

const sessionOf = (of: { tenant: string; sessionId: string }): string => `${of.tenant}\u0000${of.sessionId}`;

/**
 * Watched sessions by tenant, id and creation: a session purged and created again under the same
 * id is another session, whose streams must not be told the old one's end.
 */
function watchKey(tenant: string, sessionId: string, createdAt: DbInstant): string {
  return `${tenant}\u0000${sessionId}\u0000${createdAt}`;
}

import { ApiError, sessionPath, type Api, type HistoryItem } from './api.js';
import { createSseParser, type ServerSentEvent } from './sse.js';

/** How the page hears of new versions. */
export type FeedMode = 'connecting' | 'live' | 'polling' | 'reconnecting' | 'ended';

export interface FeedHandlers {
  /** A version after the last one given (in order, none twice). */
  onVersion(item: HistoryItem): void;
  /** Versions were missed (more than a poll brings): the feed has stopped; reload the history and follow again. */
  onGap(): void;
  /** The session was deleted (tombstone) or purged: nothing more will come. */
  onDeleted(detail: string): void;
  onMode(mode: FeedMode, detail?: string): void;
}

export interface FeedOptions {
  /** How often to ask for history when the server has no change feed. */
  pollMs: number;
}

export interface Feed {
  stop(): void;
}

const EVENT_STREAM = 'text/event-stream';
const END_EVENTS = new Set(['deleted', 'delete', 'tombstone', 'tombstoned', 'gone']);
const MAX_BACKOFF_MS = 15_000;
/** How long to poll before asking the feed again, after it refused a stream (429, 503). */
const BUSY_POLL_MS = 30_000;

/**
 * Follows one session from version `after`: the change feed (`GET …/watch`, Server-Sent Events,
 * resumed with Last-Event-ID after any break) when the server has it, else polling GET …/history
 * every `pollMs` (a server without the feed answers 404 to /watch, or one that turns the stream
 * down for now: 429, 503). Either way the handlers see each new version once, in order.
 */
export function followSession(api: Api, sid: string, after: number, handlers: FeedHandlers, options: FeedOptions): Feed {
  const abort = new AbortController();
  let last = after;
  let stopped = false;

  const stop = (): void => {
    stopped = true;
    abort.abort();
  };

  function deliver(item: HistoryItem): boolean {
    if (item.version <= last) return true;
    if (item.version !== last + 1) {
      gap();
      return false;
    }
    last = item.version;
    handlers.onVersion(item);
    return true;
  }

  function gap(): void {
    if (stopped) return;
    stop();
    handlers.onGap();
  }

  function ended(detail: string): void {
    if (stopped) return;
    stop();
    handlers.onMode('ended');
    handlers.onDeleted(detail);
  }

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        abort.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      abort.signal.addEventListener('abort', wake);
    });

  /**
   * One stream, read to its end. Returns how to go on: `again` (resume), `missing` (this server
   * has no change feed: 404, or an answer that is not a stream) or `busy` (the feed turned this
   * stream down for now: too many streams, 503).
   */
  async function stream(): Promise<'again' | 'missing' | 'busy'> {
    const response = await api.fetch('GET', sessionPath(sid, '/watch'), {
      headers: { Accept: EVENT_STREAM, 'Last-Event-ID': String(last) },
      signal: abort.signal,
    });
    if (response.status === 410 || (response.status === 404 && last === 0)) {
      ended(response.status === 410 ? 'the session was deleted' : 'the session does not exist');
      return 'again';
    }
    const type = response.headers.get('Content-Type') ?? '';
    if (!response.ok || !type.startsWith(EVENT_STREAM) || !response.body) {
      await response.body?.cancel();
      return response.status === 404 || response.status === 405 || response.ok ? 'missing' : 'busy';
    }
    handlers.onMode('live');
    const parser = createSseParser();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return 'again';
      for (const event of parser.push(value)) {
        if (!handle(event)) {
          await reader.cancel();
          return 'again';
        }
      }
    }
  }

  /** One event of the feed; false when the stream should be left. */
  function handle(event: ServerSentEvent): boolean {
    let data: unknown;
    try {
      data = JSON.parse(event.data);
    } catch {
      data = undefined;
    }
    const record = (data ?? {}) as Record<string, unknown>;
    if (END_EVENTS.has(event.type) || record.deleted === true || record.tombstone === true || record.kind === 'delete') {
      ended('the session was deleted');
      return false;
    }
    if (typeof record.version === 'number' && typeof record.kind === 'string') return deliver(record as unknown as HistoryItem);
    return true; // an event of a kind this page does not know
  }

  /** Asks history for what came after `last`. */
  async function poll(): Promise<void> {
    const page = await api.json<{ items: HistoryItem[]; next: number | null }>('GET', sessionPath(sid, '/history'), {
      query: { limit: 100 },
      signal: abort.signal,
    });
    const newer = page.items.filter((item) => item.version > last).reverse();
    if (newer.length === 0) return;
    if (newer[0]!.version !== last + 1) {
      gap();
      return;
    }
    for (const item of newer) deliver(item);
  }

  async function run(): Promise<void> {
    let backoff = 1000;
    let pollUntil = 0;
    let feedMissing = false;
    handlers.onMode('connecting');
    while (!stopped) {
      try {
        if (feedMissing || Date.now() < pollUntil) {
          await poll();
          await sleep(options.pollMs);
          continue;
        }
        const next = await stream();
        if (stopped) return;
        if (next !== 'again') {
          // A server that does not know the route will not learn it (reload the page once it is
          // upgraded); a refusal for now is retried after a while.
          if (next === 'missing') feedMissing = true;
          else pollUntil = Date.now() + BUSY_POLL_MS;
          handlers.onMode('polling', `every ${Math.round(options.pollMs / 1000)} s`);
          continue;
        }
        backoff = 1000;
        handlers.onMode('reconnecting');
        await sleep(250);
      } catch (error) {
        if (stopped) return;
        if (error instanceof ApiError && (error.status === 410 || error.status === 404)) {
          ended(error.status === 410 ? 'the session was deleted' : 'the session no longer exists');
          return;
        }
        if (error instanceof ApiError && error.status === 401) return stop();
        handlers.onMode(feedMissing ? 'polling' : 'reconnecting', error instanceof Error ? error.message : String(error));
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  void run();
  return { stop };
}

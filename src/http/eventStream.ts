import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { formatInstant } from '../core/time.js';
import type { CloseReason, FeedEnd, FeedSink, FeedVersion } from '../sessions/changeFeed.js';
import { historyItem } from './responses.js';

/**
 * A change feed stream as Server-Sent Events (text/event-stream): the body of a response, which
 * Koa pipes to the client once the route's guard has admitted it. Each version is one event
 * (`id:` the version, `event: version`, `data:` its history entry plus `patch` or `load_state`);
 * the end of the session one `event: deleted`; heartbeats are comment lines.
 */

/** How soon an EventSource reconnects after the connection ends (the `retry:` field). */
export const RECONNECT_MS = 1000;
/** Bytes the body queues before the reader must take some (catch-up waits for room). */
const HIGH_WATER_MARK = 64 * 1024;

// A version's frame is built once and shared by every stream that sends it.
const frames = new WeakMap<FeedVersion, Buffer>();

/** The frame of one version: data is its history entry and the patch from the version before, or `load_state`. */
export function versionFrame(event: FeedVersion): Buffer {
  let frame = frames.get(event);
  if (!frame) {
    const item = JSON.stringify(historyItem(event.metadata));
    const data = `${item.slice(0, -1)},${event.patchText === undefined ? '"load_state":true' : `"patch":${event.patchText}`}}`;
    frame = Buffer.from(`id: ${event.version}\nevent: version\n${dataLines(data)}\n\n`);
    frames.set(event, frame);
  }
  return frame;
}

export function endFrame(notice: FeedEnd): string {
  const data = notice.purged
    ? { purged: true }
    : { purged: false, deleted_at: formatInstant(notice.deletedAt!), version: notice.version };
  return `event: deleted\n${dataLines(JSON.stringify(data))}\n\n`;
}

/**
 * `data:` lines. JSON has line breaks only as whitespace between tokens (a stored state may keep
 * the ones it was sent with), and the client joins data lines with a line feed: the same JSON.
 */
function dataLines(json: string): string {
  return `data: ${json.replace(/\r\n|\r|\n/g, '\ndata: ')}`;
}

export interface EventStream {
  body: Readable;
  sink: FeedSink;
}

/**
 * `start`: the version the stream starts after. `stallMs`: a reader that takes nothing for this
 * long while the stream waits for room is dropped.
 */
export function createEventStream(res: ServerResponse, { start, stallMs }: { start: number; stallMs: number }): EventStream {
  let lastQueued = Date.now();
  let waiting: ((room: boolean) => void) | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  let finished = false;
  let ending = false;
  const listeners: Array<() => void> = [];

  const body = new Readable({
    highWaterMark: HIGH_WATER_MARK,
    read() {
      // The reader took enough: a catch-up waiting for room may go on.
      release(true);
    },
  });
  const closed = (): void => {
    if (finished) return;
    finished = true;
    release(false);
    for (const listener of listeners.splice(0)) listener();
  };
  body.once('close', closed);
  res.once('close', closed);

  function release(room: boolean): void {
    if (stallTimer) clearTimeout(stallTimer);
    stallTimer = undefined;
    const resolve = waiting;
    waiting = undefined;
    resolve?.(room);
  }

  function queue(chunk: Buffer | string): void {
    if (finished || ending) return;
    body.push(chunk);
    lastQueued = Date.now();
  }

  /** Dropped: the connection is cut at once, so what was queued is freed; the reader resumes with Last-Event-ID. */
  function drop(): void {
    res.destroy();
    body.destroy();
    closed();
  }

  /** Ends after what is queued; then Koa ends the response and the connection is free. */
  function finish(): void {
    if (finished || ending) return;
    ending = true;
    body.push(null);
    release(false);
    body.once('end', closed);
  }

  // The first bytes send the headers, tell an EventSource how soon to reconnect, and where the
  // stream starts: an `id` without data sets the id a client resumes from (Last-Event-ID) without
  // being an event, so a stream that breaks before its first version still resumes exactly.
  queue(`retry: ${RECONNECT_MS}\nid: ${start}\n\n`);

  const sink: FeedSink = {
    version: (event) => queue(versionFrame(event)),
    // In the body and in the response (Node's buffer and the socket's).
    queued: () => body.readableLength + res.writableLength,
    end(notice) {
      queue(endFrame(notice));
      finish();
    },
    heartbeat(idleMs) {
      if (Date.now() - lastQueued >= idleMs) queue(': heartbeat\n\n');
    },
    ready() {
      if (finished || ending) return Promise.resolve(false);
      if (body.readableLength < HIGH_WATER_MARK) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        waiting = resolve;
        stallTimer = setTimeout(() => drop(), stallMs);
        stallTimer.unref();
      });
    },
    close(reason: CloseReason) {
      if (finished) return;
      if (reason === 'slow' || reason === 'stalled' || reason === 'failed') drop();
      else finish();
    },
    onClose(listener) {
      if (finished) listener();
      else listeners.push(listener);
    },
  };
  return { body, sink };
}

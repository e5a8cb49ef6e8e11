import { checkAgainstSpec, checkSchema } from './openapi.js';

/** One Server-Sent Event as the stream sent it. */
export interface StreamEvent {
  /** The `id` field of this event (undefined if it had none). */
  id: string | undefined;
  event: string;
  data: string;
}

export interface WatchOptions {
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
}

export interface EventStreamReader {
  status: number;
  headers: Headers;
  /** The problem, when the answer was not a stream. */
  problem: any;
  /** The next event (`version` or `deleted`), its data held to openapi.yaml; undefined once the stream has ended. */
  next(timeoutMs?: number): Promise<StreamEvent | undefined>;
  /** The id a client resumes from: the last `id` field read, with or without data (EventSource's last event ID). */
  lastId(): string | undefined;
  /** Comment lines read so far (heartbeats), without their colon. */
  comments: string[];
  /** Whether the server ended the stream or the connection failed (`closed` after a cut). */
  ended(): 'open' | 'ended' | 'cut';
  close(): void;
}

const WATCH = '/v1/sessions/{sid}/watch';

/**
 * GET /watch read as a client would: the answer held to openapi.yaml (status, media type, a
 * problem's schema) and each event's data to its schema (FeedVersion, FeedDeleted). Parsed here
 * and not by the package's client, so the client's own parser is tested against this one.
 */
export async function watch(baseUrl: string, token: string, sid: string, options: WatchOptions = {}): Promise<EventStreamReader> {
  const url = new URL(WATCH.replace('{sid}', encodeURIComponent(sid)), baseUrl);
  for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, String(value));
  const controller = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', ...options.headers }, signal: controller.signal });
  const contentType = response.headers.get('content-type');
  const streaming = response.status === 200;
  const problem = streaming ? undefined : await response.json();
  checkAgainstSpec('GET', WATCH, response.status, contentType, problem);

  const queue: StreamEvent[] = [];
  const comments: string[] = [];
  let state: 'open' | 'ended' | 'cut' = streaming ? 'open' : 'ended';
  let lastId: string | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  if (streaming) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      let block: { id?: string; event?: string; data: string[] } = { data: [] };
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let newline: number;
          while ((newline = buffer.indexOf('\n')) !== -1) {
            const line = buffer.slice(0, newline).replace(/\r$/, '');
            buffer = buffer.slice(newline + 1);
            if (line === '') {
              if (block.id !== undefined) lastId = block.id;
              if (block.data.length > 0) {
                const event = { id: block.id, event: block.event ?? 'message', data: block.data.join('\n') };
                checkSchema(event.event === 'deleted' ? 'FeedDeleted' : 'FeedVersion', JSON.parse(event.data));
                queue.push(event);
              }
              block = { data: [] };
              notify();
              continue;
            }
            if (line.startsWith(':')) {
              comments.push(line.slice(1).trim());
              continue;
            }
            const colon = line.indexOf(':');
            const field = colon === -1 ? line : line.slice(0, colon);
            const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'id') block.id = value;
            else if (field === 'event') block.event = value;
            else if (field === 'data') block.data.push(value);
          }
        }
        state = 'ended';
      } catch {
        state = 'cut';
      }
      notify();
    })();
  }

  return {
    status: response.status,
    headers: response.headers,
    problem,
    comments,
    lastId: () => lastId,
    ended: () => state,
    async next(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length === 0 && state === 'open') {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event on the stream of ${sid} within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      return queue.shift();
    },
    close: () => controller.abort(),
  };
}

import { randomUUID } from 'node:crypto';
import { readEventStream } from './eventStream.js';
import type { CompactionAnswer, FeedChange, FeedDeleted, FeedVersion, HistoryPage, ImportAnswer, Json, JsonPatchOperation, Problem, RetentionRules, SessionPage, VersionDetail, WriteAnswer } from './types.js';

/** An error answer of the service, with its problem body. */
export class SessionStoreError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.title}: ${problem.detail}${typeof problem.request_id === 'string' ? ` (request ${problem.request_id})` : ''}`);
    this.name = 'SessionStoreError';
  }

  /** The request's id (its X-Request-Id): what finds the server's log lines for it. */
  get requestId(): string | undefined {
    return typeof this.problem.request_id === 'string' ? this.problem.request_id : undefined;
  }

  /** On a 412: the session's head version (null when it does not exist). */
  get currentVersion(): number | null | undefined {
    return this.problem.current_version;
  }
}

/** The service could not be reached (or kept answering 503) after every retry. */
export class SessionStoreUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'SessionStoreUnavailableError';
  }
}

export interface ClientOptions {
  baseUrl: string;
  /** An API key (sst_…). */
  token: string;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** Retries after a connection error, a timeout or a 503. Default 3. */
  retries?: number;
  /** First backoff; doubled on each retry, with jitter. Default 200 ms. */
  backoffMs?: number;
  /** fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface WriteOptions {
  /** If-Match: apply only if the head is still this version (else a SessionStoreError 412). */
  expectedVersion?: number;
  /** If-None-Match: * — create only. */
  createOnly?: boolean;
  message?: string;
  author?: string;
  /** Default: a fresh UUID per call, reused by its retries, so a retry never writes twice. */
  idempotencyKey?: string;
}

export interface WatchOptions {
  /** Start with the versions after this one (0: all of them); default: only versions to come. */
  after?: number;
  /** Stops the watch: the iteration ends. (Leaving a `for await` loop stops it too.) */
  signal?: AbortSignal;
  /**
   * A connection silent for this long is taken as dead and replaced (the server sends a heartbeat
   * at least every FEED_HEARTBEAT_MS, 15 s by default). Default 45 s.
   */
  idleTimeoutMs?: number;
}

export interface Loaded<T = Json> {
  state: T;
  version: number;
}

export interface SessionStoreClient {
  save(sessionId: string, state: Json, options?: WriteOptions): Promise<WriteAnswer>;
  patch(sessionId: string, patch: JsonPatchOperation[], options?: WriteOptions): Promise<WriteAnswer>;
  /** The latest state, or the one at `version` / `at`; undefined when the session does not exist. */
  load<T = Json>(sessionId: string, options?: { version?: number; at?: string | Date }): Promise<Loaded<T> | undefined>;
  history(sessionId: string, options?: { limit?: number; before?: number; from?: string | Date; to?: string | Date }): Promise<HistoryPage>;
  version(sessionId: string, version: number): Promise<VersionDetail>;
  diff(sessionId: string, from: number, to: number): Promise<JsonPatchOperation[]>;
  restore(sessionId: string, target: { version: number } | { at: string | Date }, options?: Omit<WriteOptions, 'createOnly'>): Promise<WriteAnswer>;
  fork(sessionId: string, to: string, options?: { version?: number; message?: string; author?: string; idempotencyKey?: string }): Promise<WriteAnswer>;
  delete(sessionId: string, options?: { purge?: boolean; expectedVersion?: number }): Promise<void>;
  /**
   * Removes the session's history now, for good: keeps the newest `keep_versions` and/or the
   * versions of the last `keep_days` (the head always); `{}` applies the policy that holds for it.
   * A SessionStoreError 409 while another compaction of the session runs.
   */
  compact(sessionId: string, rules?: RetentionRules): Promise<CompactionAnswer>;
  list(options?: { prefix?: string; limit?: number; cursor?: string }): Promise<SessionPage>;
  /**
   * The session's new versions as they are written (GET /watch, Server-Sent Events), each once and
   * in order; when the session is deleted, a last `deleted` change, and the iteration ends. A
   * connection that breaks (or the server ends, stopping or shedding a slow reader) is resumed
   * from the last version received, after a backoff; it gives up (SessionStoreUnavailableError)
   * after `retries` failed attempts in a row. A refusal (400, 401, 404, 410, 429...) throws a
   * SessionStoreError.
   */
  watch(sessionId: string, options?: WatchOptions): AsyncIterable<FeedChange>;
  /**
   * The session's export (GET /export): NDJSON, a header line and one line per version (see the
   * README's file format), as the bytes stream in; nothing is held whole. A refusal (404, 410...)
   * throws a SessionStoreError before the first byte. `timeoutMs` bounds the wait for the answer
   * to begin, not its length.
   */
  exportSession(sessionId: string): Promise<AsyncIterable<Uint8Array>>;
  /**
   * Recreates a session from an export under `sessionId` in this key's tenant (POST /import). A
   * stream body is sent as it is read. A file that fails its checks throws a SessionStoreError 422
   * whose `problem.line` names the first bad line (nothing is written); an id that exists, a 409.
   * Not retried (a stream cannot be sent twice).
   */
  importSession(sessionId: string, file: string | Uint8Array | AsyncIterable<Uint8Array>): Promise<ImportAnswer>;
}

async function* touching<T>(source: AsyncIterable<T>, touch: () => void): AsyncGenerator<T> {
  for await (const item of source) {
    touch();
    yield item;
  }
}

/** An error answer as the error it is: its problem body, or one made up from a body that is not one. */
async function problemOf(response: Response): Promise<SessionStoreError> {
  const text = await response.text();
  let problem: Problem;
  try {
    problem = JSON.parse(text) as Problem;
  } catch {
    problem = { type: 'about:blank', title: response.statusText, status: response.status, detail: text.slice(0, 500) };
  }
  return new SessionStoreError(response.status, problem);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const instant = (value: string | Date): string => (value instanceof Date ? value.toISOString() : value);

/** A client of the session-state store's HTTP API (v1). */
export function createClient(options: ClientOptions): SessionStoreClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const retries = options.retries ?? 3;
  const backoffMs = options.backoffMs ?? 200;
  const doFetch = options.fetch ?? fetch;

  async function request(
    method: string,
    path: string,
    init: { query?: Record<string, string | number | boolean | undefined>; headers?: Record<string, string>; body?: string } = {},
  ): Promise<Response> {
    const url = new URL(`${baseUrl}${path}`);
    for (const [name, value] of Object.entries(init.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers = { authorization: `Bearer ${options.token}`, ...init.headers };
    let lastError: unknown;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
      try {
        const response = await doFetch(url, { method, headers, body: init.body, signal: AbortSignal.timeout(timeoutMs) });
        if (response.status === 503 && attempt < retries) {
          lastError = new Error('503 Service Unavailable');
          await response.body?.cancel();
          continue;
        }
        if (response.status >= 400) throw await problemOf(response);
        return response;
      } catch (error) {
        if (error instanceof SessionStoreError) throw error;
        lastError = error;
      }
    }
    throw new SessionStoreUnavailableError(`${method} ${path}: no answer after ${retries + 1} attempts`, lastError);
  }

  function writeHeaders(writeOptions: WriteOptions, contentType: string): Record<string, string> {
    return {
      'content-type': contentType,
      'idempotency-key': writeOptions.idempotencyKey ?? randomUUID(),
      ...(writeOptions.expectedVersion !== undefined ? { 'if-match': `"${writeOptions.expectedVersion}"` } : {}),
      ...(writeOptions.createOnly ? { 'if-none-match': '*' } : {}),
    };
  }

  const sessionPath = (sessionId: string): string => `/v1/sessions/${encodeURIComponent(sessionId)}`;

  async function* watch(sessionId: string, watchOptions: WatchOptions = {}): AsyncGenerator<FeedChange> {
    const { signal } = watchOptions;
    const idleTimeoutMs = watchOptions.idleTimeoutMs ?? 45_000;
    // Where the watch stands: the id of the last event (or the id the stream opened with).
    let lastId: string | undefined = watchOptions.after === undefined ? undefined : String(watchOptions.after);
    let failures = 0;
    while (!signal?.aborted) {
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      signal?.addEventListener('abort', stop);
      let idle: NodeJS.Timeout | undefined;
      const alive = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => controller.abort(), idleTimeoutMs);
      };
      try {
        alive();
        const response = await doFetch(`${baseUrl}${sessionPath(sessionId)}/watch`, {
          headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream', ...(lastId !== undefined ? { 'last-event-id': lastId } : {}) },
          signal: controller.signal,
        });
        if (response.status >= 400 && !(response.status === 503 && failures < retries)) throw await problemOf(response);
        if (response.status === 200 && response.body) {
          failures = 0;
          // Any bytes (heartbeats too) show the connection alive.
          for await (const block of readEventStream(touching(response.body as unknown as AsyncIterable<Uint8Array>, alive))) {
            if (block.id !== undefined) lastId = block.id;
            // The time the caller takes over a change does not count as the connection's silence.
            clearTimeout(idle);
            if (block.event === 'version') yield { event: 'version', ...(JSON.parse(block.data) as FeedVersion) };
            else if (block.event === 'deleted') {
              yield { event: 'deleted', ...(JSON.parse(block.data) as FeedDeleted) };
              return;
            }
            alive();
          }
        } else {
          await response.body?.cancel();
        }
        // Ended without a `deleted`: the server stopped or shed this stream; resume.
      } catch (error) {
        if (error instanceof SessionStoreError) throw error;
        if (signal?.aborted) return;
        if (failures >= retries) throw new SessionStoreUnavailableError(`watch ${sessionId}: no stream after ${retries + 1} attempts`, error);
      } finally {
        clearTimeout(idle);
        signal?.removeEventListener('abort', stop);
        controller.abort();
      }
      failures++;
      await sleep(backoffMs * 2 ** Math.min(failures - 1, 6) * (0.5 + Math.random()));
    }
  }
  const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

  /** PUT (a whole state) or PATCH (a JSON Patch) of a session's head: the two differ only in these. */
  async function writeHead(method: 'PUT' | 'PATCH', sessionId: string, contentType: string, body: unknown, writeOptions: WriteOptions): Promise<WriteAnswer> {
    const response = await request(method, `${sessionPath(sessionId)}/state`, {
      query: { message: writeOptions.message, author: writeOptions.author },
      headers: writeHeaders(writeOptions, contentType),
      body: JSON.stringify(body),
    });
    return json<WriteAnswer>(response);
  }

  return {
    save: (sessionId, state, writeOptions = {}) => writeHead('PUT', sessionId, 'application/json', state, writeOptions),
    patch: (sessionId, patch, writeOptions = {}) =>
      writeHead('PATCH', sessionId, 'application/json-patch+json', patch, writeOptions),
    async load<T>(sessionId: string, loadOptions: { version?: number; at?: string | Date } = {}) {
      try {
        const response = await request('GET', `${sessionPath(sessionId)}/state`, {
          query: { version: loadOptions.version, at: loadOptions.at === undefined ? undefined : instant(loadOptions.at) },
        });
        return { state: (await response.json()) as T, version: Number(response.headers.get('snapshot-version')) };
      } catch (error) {
        if (error instanceof SessionStoreError && error.status === 404) return undefined;
        throw error;
      }
    },
    async history(sessionId, historyOptions = {}) {
      const { from, to, ...rest } = historyOptions;
      const response = await request('GET', `${sessionPath(sessionId)}/history`, {
        query: { ...rest, from: from === undefined ? undefined : instant(from), to: to === undefined ? undefined : instant(to) },
      });
      return json<HistoryPage>(response);
    },
    async version(sessionId, version) {
      return json<VersionDetail>(await request('GET', `${sessionPath(sessionId)}/versions/${version}`));
    },
    async diff(sessionId, from, to) {
      return json<JsonPatchOperation[]>(await request('GET', `${sessionPath(sessionId)}/diff`, { query: { from, to } }));
    },
    async restore(sessionId, target, writeOptions = {}) {
      const body = 'version' in target ? { version: target.version } : { at: instant(target.at) };
      const response = await request('POST', `${sessionPath(sessionId)}/restore`, {
        headers: writeHeaders(writeOptions, 'application/json'),
        body: JSON.stringify({ ...body, message: writeOptions.message, author: writeOptions.author }),
      });
      return json<WriteAnswer>(response);
    },
    async fork(sessionId, to, forkOptions = {}) {
      const { idempotencyKey, ...rest } = forkOptions;
      const response = await request('POST', `${sessionPath(sessionId)}/fork`, {
        headers: writeHeaders({ idempotencyKey }, 'application/json'),
        body: JSON.stringify({ to, ...rest }),
      });
      return json<WriteAnswer>(response);
    },
    async delete(sessionId, deleteOptions = {}) {
      await request('DELETE', sessionPath(sessionId), {
        query: { purge: deleteOptions.purge ? true : undefined },
        headers: deleteOptions.expectedVersion !== undefined ? { 'if-match': `"${deleteOptions.expectedVersion}"` } : {},
      });
    },
    async compact(sessionId, rules = {}) {
      const response = await request('POST', `${sessionPath(sessionId)}/compact`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });
      return json<CompactionAnswer>(response);
    },
    async list(listOptions = {}) {
      return json<SessionPage>(await request('GET', '/v1/sessions', { query: listOptions }));
    },
    watch,
    async exportSession(sessionId) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}${sessionPath(sessionId)}/export`, {
          headers: { authorization: `Bearer ${options.token}`, accept: 'application/x-ndjson' },
          signal: controller.signal,
        });
      } catch (error) {
        throw new SessionStoreUnavailableError(`export ${sessionId}: no answer`, error);
      } finally {
        clearTimeout(timer);
      }
      if (response.status >= 400) throw await problemOf(response);
      return response.body as unknown as AsyncIterable<Uint8Array>;
    },
    async importSession(sessionId, file) {
      const streamed = typeof file !== 'string' && !(file instanceof Uint8Array);
      let response: Response;
      try {
        response = await doFetch(`${baseUrl}${sessionPath(sessionId)}/import`, {
          method: 'POST',
          headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/x-ndjson' },
          body: streamed ? (ReadableStream.from(file) as unknown as RequestInit["body"]) : (file as RequestInit["body"]),
          ...(streamed ? { duplex: 'half' } : {}),
        } as RequestInit);
      } catch (error) {
        throw new SessionStoreUnavailableError(`import ${sessionId}: no answer`, error);
      }
      if (response.status >= 400) throw await problemOf(response);
      return json<ImportAnswer>(response);
    },
  };
}

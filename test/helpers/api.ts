import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type App, type AppConfig } from '../../src/http/app.js';
import { createHttpServer } from '../../src/http/httpServer.js';
import { silentLogger } from '../../src/log.js';
import type { Pool } from '../../src/db/pool.js';
import { checkAgainstSpec } from './openapi.js';
import { createKey } from '../../src/access/keys.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: any;
  text: string;
}

export interface RequestOptions {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean>;
  headers?: Record<string, string>;
  /** A JSON value to send (Content-Type defaults to application/json). */
  json?: unknown;
  /** A raw body to send as it is. */
  raw?: string | Buffer;
}

/**
 * A client of the real HTTP server that holds every answer to openapi.yaml: callers name the
 * path template (as in the spec) and its parameters, so each response is checked against the
 * operation it belongs to.
 */
export interface Api {
  baseUrl: string;
  request(method: string, pathTemplate: string, options?: RequestOptions): Promise<ApiResponse>;
}

/** `token`: sent as `Authorization: Bearer <token>` unless a request sets its own Authorization. */
export function apiClient(baseUrl: string, token?: string): Api {
  return {
    baseUrl,
    async request(method, pathTemplate, options = {}) {
      let path = pathTemplate;
      for (const [name, value] of Object.entries(options.params ?? {})) {
        path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
      }
      const url = new URL(path, baseUrl);
      for (const [name, value] of Object.entries(options.query ?? {})) url.searchParams.set(name, String(value));
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
      if (headers.authorization === '') delete headers.authorization;
      let body: string | Buffer | undefined = options.raw;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(url, { method, headers, body });
      const contentType = response.headers.get('content-type');
      // An event stream does not end by itself: its answer is the status and headers (tests read
      // the events with readEvents, test/helpers/eventStream.ts).
      const streaming = contentType?.startsWith('text/event-stream') ?? false;
      if (streaming) await response.body?.cancel();
      const text = streaming ? '' : await response.text();
      // NDJSON (an export) is many JSON texts: it stays text.
      const parsed = contentType && /json/.test(contentType) && !/ndjson/.test(contentType) && text ? JSON.parse(text) : text;
      checkAgainstSpec(method, pathTemplate, response.status, contentType, parsed);
      checkRequestId(response, parsed);
      return { status: response.status, headers: response.headers, body: parsed, text };
    },
  };
}

/**
 * Every answer names its request (X-Request-Id), and a problem body names the same id: held here,
 * for every request of every test.
 */
function checkRequestId(response: Response, body: unknown): void {
  const requestId = response.headers.get('x-request-id');
  if (!requestId || !/^[A-Za-z0-9._:@+=/-]{1,128}$/.test(requestId)) {
    throw new Error(`answer ${response.status} has no acceptable X-Request-Id (${JSON.stringify(requestId)})`);
  }
  // A HEAD answer has no body to hold it.
  const problem = response.headers.get('content-type')?.startsWith('application/problem+json') && typeof body === 'object' && body !== null;
  if (problem && (body as { request_id?: unknown }).request_id !== requestId) {
    throw new Error(`problem ${response.status} names request ${JSON.stringify((body as { request_id?: unknown }).request_id)}, its header ${requestId}`);
  }
}

export const testAppConfig: AppConfig = {
  bodyLimitBytes: 16 * 1024 * 1024,
  maxJsonDepth: 64,
  checkpointEvery: 8,
  fullStateRatio: 0.5,
  stateCacheBytes: 8 * 1024 * 1024,
  checkpointCacheBytes: 8 * 1024 * 1024,
  workerThreads: 1,
  offloadFromBytes: 128 * 1024,
  txRetryBudgetMs: 10_000,
  idempotencyTtlSeconds: 86_400,
  rateLimitPerSecond: 0,
  rateLimitBurst: 20,
  // Every request reads its key's row, so a revocation is seen on the very next one (access tests set a bound).
  apiKeyCacheMs: 0,
  feedPollMs: 50,
  feedHeartbeatMs: 15_000,
  feedPatchLimitBytes: 64 * 1024,
  feedStreamBufferBytes: 1024 * 1024,
  feedMaxStreams: 2000,
  feedMaxStreamsPerKey: 100,
  retentionKeepVersions: 0,
  retentionKeepDays: 0,
  compactionBatchRows: 1000,
  importLimitBytes: 64 * 1024 * 1024,
};

export interface TestServer {
  app: App;
  /** A client with a `write` key of tenant `default`. */
  api: Api;
  /** That key, for requests made without the client. */
  token: string;
  baseUrl: string;
  /** The Node HTTP server, for tests that watch a request arrive and its body being read. */
  http: Server;
  close(): Promise<void>;
}

/** The real app on a real HTTP server on an ephemeral loopback port. */
export async function startTestServer(pool: Pool, config: Partial<AppConfig> = {}, options: { withKey?: boolean } = {}): Promise<TestServer> {
  const token = options.withKey === false ? '' : (await createKey(pool, { tenant: 'default', role: 'write' })).token;
  const app = createApp({ pool, config: { ...testAppConfig, ...config }, logger: silentLogger });
  const server: Server = createHttpServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    app,
    api: apiClient(baseUrl, token),
    token,
    baseUrl,
    http: server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => app.close()),
  };
}

/**
 * A throwaway database and the real app on it, for the enclosing describe block: opened in its
 * before hook, closed in its after hook. Read `db`, `server` and `api` inside tests and hooks.
 */
export interface ServedTestDatabase {
  readonly db: TestDatabase;
  readonly server: TestServer;
  readonly api: Api;
}

export function useTestServer(config: Partial<AppConfig> = {}): ServedTestDatabase {
  let db: TestDatabase | undefined;
  let server: TestServer | undefined;
  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool, config);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });
  const opened = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test server opens in a before hook: use it inside tests and hooks');
    return value;
  };
  return {
    get db() {
      return opened(db);
    },
    get server() {
      return opened(server);
    },
    get api() {
      return opened(server).api;
    },
  };
}

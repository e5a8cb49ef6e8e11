import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../db/pool.js';
import type { WriteAnswer } from '../sessions/writeAnswer.js';

/**
 * The process's metrics, in one registry served by GET /metrics (metricsServer.ts). The code
 * records into it through the few functions below, each called at one point: requests (the
 * request middleware), writes (writeState), loads (loadState), replays (rebuildState), state cache
 * lookups (headState) and transaction retries (withTransaction). Labels take a handful of values
 * each (route templates, never paths; kinds; statuses), so the number of series stays bounded.
 */
export const registry = new Registry();

const requests = new Counter({
  name: 'session_store_http_requests_total',
  help: 'HTTP requests answered, by method, route template ("(unmatched)" for a path no route has) and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

const requestSeconds = new Histogram({
  name: 'session_store_http_request_duration_seconds',
  help: 'Time from a request arriving to its answer being ready (for the change feed: to its stream opening), by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const writes = new Counter({
  name: 'session_store_writes_total',
  help: 'Writes answered by kind (save: PUT, patch: PATCH, restore, fork) and result (version: a new version; unchanged: equal to the head; replayed: an Idempotency-Key retry answered from its record)',
  labelNames: ['kind', 'result'] as const,
  registers: [registry],
});

const writtenBytes = new Counter({
  name: 'session_store_written_bytes_total',
  help: 'Size of the changes the new versions record (their patch_bytes: RFC 6902 JSON, before compression), by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const loads = new Counter({
  name: 'session_store_loads_total',
  help: 'State loads asked for (GET or HEAD of a state, those answered 404 or 410 included) by what they name: latest, version (?version=N) or at (?at=instant)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const replays = new Histogram({
  name: 'session_store_replay_patches',
  help: 'Patches replayed onto a checkpoint to rebuild one state (a load that is not served from the cache, a diff, a restore); at most CHECKPOINT_EVERY',
  buckets: [0, 1, 2, 4, 8, 16, 32, 64, 128, 256],
  registers: [registry],
});

const cacheLookups = new Counter({
  name: 'session_store_state_cache_lookups_total',
  help: 'Head states looked up in the in-process cache (STATE_CACHE_BYTES), by result: hit or miss (then rebuilt from the database)',
  labelNames: ['result'] as const,
  registers: [registry],
});

const transactionRetries = new Counter({
  name: 'session_store_transaction_retries_total',
  help: 'Transactions run again after a deadlock, lock wait timeout, Galera certification failure or a first-save race (TX_MAX_RETRIES)',
  registers: [registry],
});

/** Sources read when the metrics are collected: this process's pool, change feed and state cache. */
interface MysqlPoolInternals {
  _allConnections?: { length: number };
  _freeConnections?: { length: number };
  _connectionQueue?: { length: number };
  config?: { connectionLimit?: number };
}
let watchedPool: MysqlPoolInternals | undefined;
let openStreams: (() => number) | undefined;
let cacheBytes: (() => number) | undefined;

new Gauge({
  name: 'session_store_db_pool_connections',
  help: 'Database connections of this process by state: in_use (lent to a request), idle, and max (DB_POOL_SIZE)',
  labelNames: ['state'] as const,
  registers: [registry],
  collect() {
    this.reset();
    if (!watchedPool) return;
    const all = watchedPool._allConnections?.length ?? 0;
    const idle = watchedPool._freeConnections?.length ?? 0;
    this.set({ state: 'in_use' }, all - idle);
    this.set({ state: 'idle' }, idle);
    this.set({ state: 'max' }, watchedPool.config?.connectionLimit ?? 0);
  },
});

new Gauge({
  name: 'session_store_db_pool_waiting_requests',
  help: 'Requests waiting for a free database connection (at most DB_QUEUE_LIMIT; past it, 503)',
  registers: [registry],
  collect() {
    this.set(watchedPool?._connectionQueue?.length ?? 0);
  },
});

new Gauge({
  name: 'session_store_feed_open_streams',
  help: 'Change feed streams (GET /v1/sessions/{sid}/watch) open in this process (FEED_MAX_STREAMS)',
  registers: [registry],
  collect() {
    this.set(openStreams?.() ?? 0);
  },
});

new Gauge({
  name: 'session_store_state_cache_bytes',
  help: 'JSON bytes of the head states held in the in-process cache (at most STATE_CACHE_BYTES)',
  registers: [registry],
  collect() {
    this.set(cacheBytes?.() ?? 0);
  },
});

let processMetricsStarted = false;

/** What the served process reports besides its own figures: pool, feed and cache, and Node's process metrics. */
export function watchProcess(sources: { pool: Pool; openStreams: () => number; cacheBytes: () => number }): void {
  // mysql2's promise pool wraps the callback pool, whose counters these are.
  watchedPool = (sources.pool as unknown as { pool: MysqlPoolInternals }).pool;
  openStreams = sources.openStreams;
  cacheBytes = sources.cacheBytes;
  if (!processMetricsStarted) collectDefaultMetrics({ register: registry });
  processMetricsStarted = true;
}

export function countRequest(method: string, route: string, status: number, seconds: number): void {
  const labels = { method, route, status: String(status) };
  requests.inc(labels);
  requestSeconds.observe(labels, seconds);
}

export function countWrite(kind: string, answer: WriteAnswer): void {
  const result = answer.replayed ? 'replayed' : answer.status === 201 ? 'version' : 'unchanged';
  writes.inc({ kind, result });
  if (result !== 'version') return;
  const patchBytes = (JSON.parse(answer.body) as { patch_bytes?: unknown }).patch_bytes;
  if (typeof patchBytes === 'number') writtenBytes.inc({ kind }, patchBytes);
}

export function countLoad(selector: object): void {
  loads.inc({ kind: 'version' in selector ? 'version' : 'at' in selector ? 'at' : 'latest' });
}

export function countReplay(patches: number): void {
  replays.observe(patches);
}

export function countCacheLookup(hit: boolean): void {
  cacheLookups.inc({ result: hit ? 'hit' : 'miss' });
}

export function countTransactionRetry(): void {
  transactionRetries.inc();
}

import { availableParallelism } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { projectRoot } from './paths.js';

/** Where the database is: a server given by DATABASE_URL, or the project's own local MariaDB. */
export type DatabaseSetting =
  | { kind: 'url'; url: string }
  | { kind: 'local'; dataDir: string; autoInstall: boolean };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Config {
  port: number;
  host: string;
  database: DatabaseSetting;
  dbPoolSize: number;
  /** Requests that may wait for a free database connection before the next is answered 503. */
  dbQueueLimit: number;
  bodyLimitBytes: number;
  maxJsonDepth: number;
  checkpointEvery: number;
  fullStateRatio: number;
  stateCacheBytes: number;
  /** In-process cache of decoded checkpoints, for loads of older versions; 0: off. */
  checkpointCacheBytes: number;
  /** Worker threads for the CPU-heavy work on large states; 0: all on the event loop. */
  workerThreads: number;
  /** States (JSON text) from this size on are parsed, diffed and hashed on a worker thread. */
  offloadFromBytes: number;
  /** How long a transaction that keeps conflicting (deadlock, lock wait, Galera certification) is retried. */
  txRetryBudgetMs: number;
  /** On a Galera node: the wsrep_sync_wait of the service's connections (1: reads see every earlier write). */
  wsrepSyncWait: number;
  /** How long an Idempotency-Key record is honoured; a retry after it is a new request. */
  idempotencyTtlSeconds: number;
  /** How often each process purges the records past that window; 0: never (purge them elsewhere). */
  idempotencySweepSeconds: number;
  shutdownGraceMs: number;
  logLevel: LogLevel;
  /** GET /metrics (Prometheus) listens on this port, apart from the API; undefined: no metrics listener. */
  metricsPort: number | undefined;
  /** The interface the metrics listener binds to: loopback by default, since /metrics asks for no key. */
  metricsHost: string;
  /** Default per-key rate limit (requests per second); 0: off. Keys may carry their own. */
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  /** How long a key confirmed by its row is taken as still valid without reading the row again: the bound on how late a revocation or expiry is seen. 0: read on every request. */
  apiKeyCacheMs: number;
  /** Where the first start writes the key it creates when there are no keys at all. */
  bootstrapKeyFile: string;
  /** Change feed (GET /v1/sessions/{sid}/watch): how often each process reads the watched sessions' heads. */
  feedPollMs: number;
  /** A heartbeat comment on a stream silent for this long; open streams' keys are re-checked as often. */
  feedHeartbeatMs: number;
  /** Versions whose patch is larger than this are announced without it (`load_state`). */
  feedPatchLimitBytes: number;
  /** Bytes still waiting for a stream's reader when a version comes beyond which the stream is dropped. */
  feedStreamBufferBytes: number;
  /** Open change feed streams per process, and per key and process. */
  feedMaxStreams: number;
  feedMaxStreamsPerKey: number;
  /** Where `npm run import-workload` (without files) and `npm run bench` find the shared workloads. */
  workloadsDir: string;
  /** Service-wide retention default: keep the newest N versions / versions newer than D days; 0: no such rule. */
  retentionKeepVersions: number;
  retentionKeepDays: number;
  /** How often each process applies the retention policies; 0: never (npm run compact only). */
  retentionSweepSeconds: number;
  /** The most events or checkpoints one DELETE of a compaction removes. */
  compactionBatchRows: number;
  /** Largest body of POST /v1/sessions/{sid}/import (an NDJSON export), as sent. */
  importLimitBytes: number;
}

/**
 * Every setting, its environment variable and its default. This is the only module that reads
 * process.env; the README's configuration table mirrors this list.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = env.DATA_DIR ? env.DATA_DIR : join(projectRoot, '.data');
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '127.0.0.1',
    database: env.DATABASE_URL
      ? { kind: 'url', url: env.DATABASE_URL }
      : { kind: 'local', dataDir, autoInstall: boolean(env, 'MARIADB_AUTO_INSTALL', true) },
    dbPoolSize: integer(env, 'DB_POOL_SIZE', 10, 1, 1000),
    dbQueueLimit: integer(env, 'DB_QUEUE_LIMIT', 500, 1, 1_000_000),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxJsonDepth: integer(env, 'MAX_JSON_DEPTH', 64, 2, 10_000),
    checkpointEvery: integer(env, 'CHECKPOINT_EVERY', 64, 1, 100_000),
    fullStateRatio: number(env, 'FULL_STATE_RATIO', 0.5, 0, 100),
    stateCacheBytes: integer(env, 'STATE_CACHE_BYTES', 64 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    checkpointCacheBytes: integer(env, 'CHECKPOINT_CACHE_BYTES', 32 * 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    workerThreads: integer(env, 'WORKER_THREADS', Math.min(4, availableParallelism()), 0, 64),
    offloadFromBytes: integer(env, 'OFFLOAD_FROM_BYTES', 128 * 1024, 0, Number.MAX_SAFE_INTEGER),
    txRetryBudgetMs: integer(env, 'TX_RETRY_BUDGET_MS', 10_000, 0, 600_000),
    wsrepSyncWait: integer(env, 'WSREP_SYNC_WAIT', 1, 0, 15),
    idempotencyTtlSeconds: integer(env, 'IDEMPOTENCY_TTL_SECONDS', 86_400, 1, 10 * 365 * 86_400),
    idempotencySweepSeconds: integer(env, 'IDEMPOTENCY_SWEEP_SECONDS', 300, 0, 86_400),
    shutdownGraceMs: integer(env, 'SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    metricsPort: env.METRICS_PORT === undefined || env.METRICS_PORT === '' ? undefined : integer(env, 'METRICS_PORT', 0, 0, 65535),
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    rateLimitPerSecond: number(env, 'RATE_LIMIT_PER_SECOND', 0, 0, 1_000_000),
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', 20, 1, 1_000_000),
    apiKeyCacheMs: integer(env, 'API_KEY_CACHE_MS', 1000, 0, 60_000),
    feedPollMs: integer(env, 'FEED_POLL_MS', 100, 10, 60_000),
    feedHeartbeatMs: integer(env, 'FEED_HEARTBEAT_MS', 15_000, 100, 600_000),
    feedPatchLimitBytes: integer(env, 'FEED_PATCH_LIMIT_BYTES', 64 * 1024, 0, 1024 * 1024 * 1024),
    feedStreamBufferBytes: integer(env, 'FEED_STREAM_BUFFER_BYTES', 1024 * 1024, 64 * 1024, 1024 * 1024 * 1024),
    feedMaxStreams: integer(env, 'FEED_MAX_STREAMS', 2000, 0, 1_000_000),
    feedMaxStreamsPerKey: integer(env, 'FEED_MAX_STREAMS_PER_KEY', 100, 0, 1_000_000),
    bootstrapKeyFile: env.BOOTSTRAP_KEY_FILE ? env.BOOTSTRAP_KEY_FILE : join(dataDir, 'default-api-key'),
    retentionKeepVersions: integer(env, 'RETENTION_KEEP_VERSIONS', 0, 0, 1_000_000_000),
    retentionKeepDays: integer(env, 'RETENTION_KEEP_DAYS', 0, 0, 36_500),
    retentionSweepSeconds: integer(env, 'RETENTION_SWEEP_SECONDS', 3600, 0, 7 * 86_400),
    compactionBatchRows: integer(env, 'COMPACTION_BATCH_ROWS', 1000, 1, 1_000_000),
    importLimitBytes: integer(env, 'IMPORT_LIMIT_BYTES', 1024 * 1024 * 1024, 1024, Number.MAX_SAFE_INTEGER),
    workloadsDir: resolve(env.WORKLOADS_DIR ? env.WORKLOADS_DIR : join(projectRoot, '..', 'shared', 'workloads')),
  };
}

/**
 * The folders of PATH, where executables (mariadbd, apt-get) are looked for. The system's
 * setting, not one of ours, so it is not in Config; read here all the same, like every other.
 */
export function executableSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.PATH ?? '').split(delimiter).filter(Boolean);
}

/**
 * The environment of a child process: this process's own (PATH, proxies, the settings above),
 * with `overrides` on top.
 */
export function childEnvironment(overrides: Record<string, string> = {}, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...env, ...overrides };
}

export class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, not "${raw}"`);
  }
  return value;
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, not "${raw}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, not "${raw}"`);
  }
  return raw as T;
}

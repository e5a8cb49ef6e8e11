import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { projectRoot } from '../../src/paths.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`no ConfigError for ${JSON.stringify(env)}`);
}

describe('configuration (config.ts)', () => {
  it('gives every setting its default when the environment sets nothing', () => {
    const config = loadConfig({});
    expect(config).to.deep.include({
      port: 8080,
      host: '127.0.0.1',
      database: { kind: 'local', dataDir: join(projectRoot, '.data'), autoInstall: true },
      dbPoolSize: 10,
      bodyLimitBytes: 16 * 1024 * 1024,
      maxJsonDepth: 64,
      checkpointEvery: 64,
      fullStateRatio: 0.5,
      stateCacheBytes: 64 * 1024 * 1024,
      checkpointCacheBytes: 32 * 1024 * 1024,
      workerThreads: Math.min(4, availableParallelism()),
      offloadFromBytes: 128 * 1024,
      txRetryBudgetMs: 10_000,
      wsrepSyncWait: 1,
      idempotencyTtlSeconds: 86_400,
      idempotencySweepSeconds: 300,
      shutdownGraceMs: 10_000,
      logLevel: 'info',
      metricsPort: undefined,
      metricsHost: '127.0.0.1',
      rateLimitPerSecond: 0,
      rateLimitBurst: 20,
      retentionKeepVersions: 0,
      retentionKeepDays: 0,
      retentionSweepSeconds: 3600,
      compactionBatchRows: 1000,
      importLimitBytes: 1024 * 1024 * 1024,
      apiKeyCacheMs: 1000,
      feedPollMs: 100,
      feedHeartbeatMs: 15_000,
      feedPatchLimitBytes: 64 * 1024,
      feedStreamBufferBytes: 1024 * 1024,
      feedMaxStreams: 2000,
      feedMaxStreamsPerKey: 100,
      bootstrapKeyFile: join(projectRoot, '.data', 'default-api-key'),
    });
  });

  it('has the defaults the README configuration table documents: setting each variable to its documented default changes nothing', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \|/gm)].map(([, name, cell]) => [name!, cell!.trim()] as const);
    expect(rows.map(([name]) => name)).to.include.members(['PORT', 'DATABASE_URL', 'CHECKPOINT_EVERY', 'BOOTSTRAP_KEY_FILE']);
    const defaults = loadConfig({});
    let checked = 0;
    for (const [name, cell] of rows) {
      // The documented default: a literal in backticks, or one of these phrasings.
      const literal = /^`([^`]*)`/.exec(cell)?.[1]
        ?.replace('<project>', projectRoot)
        .replace('<DATA_DIR>', join(projectRoot, '.data'));
      const value = literal ?? (cell.startsWith('the number of cores, at most 4') ? String(Math.min(4, availableParallelism())) : undefined);
      if (cell === 'unset') {
        expect(loadConfig({ [name]: '' }), `${name} unset`).to.deep.equal(defaults);
        continue;
      }
      expect(value, `${name}: a default the test can read, not "${cell}"`).to.be.a('string');
      expect(loadConfig({ [name]: value! }), `${name}=${value}`).to.deep.equal(defaults);
      checked++;
    }
    expect(checked).to.be.at.least(15);
  });

  it('treats a variable set to the empty string as unset', () => {
    const names = ['PORT', 'HOST', 'DATABASE_URL', 'DATA_DIR', 'MARIADB_AUTO_INSTALL', 'DB_POOL_SIZE', 'LOG_LEVEL', 'FULL_STATE_RATIO', 'BOOTSTRAP_KEY_FILE'];
    for (const name of names) expect(loadConfig({ [name]: '' }), name).to.deep.equal(loadConfig({}));
  });

  it('reads the environment it is given, not the process environment', () => {
    const saved = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(loadConfig({}).port).to.equal(8080);
      expect(loadConfig().port).to.equal(1234);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('refuses each bad value with a ConfigError that names the variable and the value', () => {
    const bad: Record<string, string[]> = {
      PORT: ['x', '-1', '65536', '8080.5'],
      DB_POOL_SIZE: ['0', '1001', 'ten'],
      BODY_LIMIT_BYTES: ['1023', '1073741825'],
      MAX_JSON_DEPTH: ['1', '10001'],
      CHECKPOINT_EVERY: ['0', '100001', '8.5'],
      FULL_STATE_RATIO: ['-0.1', '100.5', 'half', 'NaN', 'Infinity'],
      STATE_CACHE_BYTES: ['-1', '1.5'],
      WORKER_THREADS: ['-1', '65'],
      OFFLOAD_FROM_BYTES: ['-1', 'big'],
      TX_RETRY_BUDGET_MS: ['-1', '600001', '1.5'],
      WSREP_SYNC_WAIT: ['-1', '16'],
      IDEMPOTENCY_TTL_SECONDS: ['0', '315360001', '1.5', 'day'],
      IDEMPOTENCY_SWEEP_SECONDS: ['-1', '86401'],
      SHUTDOWN_GRACE_MS: ['-1', '600001'],
      LOG_LEVEL: ['verbose', 'INFO'],
      RATE_LIMIT_PER_SECOND: ['-1', '1000001'],
      RATE_LIMIT_BURST: ['0', '1.5'],
      MARIADB_AUTO_INSTALL: ['maybe', '2'],
      METRICS_PORT: ['-1', '65536', 'on'],
    };
    for (const [name, values] of Object.entries(bad)) {
      for (const value of values) {
        const error = configError({ [name]: value });
        expect(error.message, `${name}=${value}`).to.match(new RegExp(`^${name} must `));
        expect(error.message, `${name}=${value}`).to.include(`"${value}"`);
      }
    }
  });

  it('accepts the values at each end of a range, every log level, and the usual spellings of true and false', () => {
    expect(loadConfig({ PORT: '0' }).port).to.equal(0);
    expect(loadConfig({ PORT: '65535' }).port).to.equal(65535);
    expect(loadConfig({ DB_POOL_SIZE: '1' }).dbPoolSize).to.equal(1);
    expect(loadConfig({ BODY_LIMIT_BYTES: '1073741824' }).bodyLimitBytes).to.equal(1073741824);
    expect(loadConfig({ FULL_STATE_RATIO: '0' }).fullStateRatio).to.equal(0);
    expect(loadConfig({ FULL_STATE_RATIO: '0.25' }).fullStateRatio).to.equal(0.25);
    expect(loadConfig({ WORKER_THREADS: '0' }).workerThreads).to.equal(0);
    expect(loadConfig({ RATE_LIMIT_PER_SECOND: '0.5' }).rateLimitPerSecond).to.equal(0.5);
    expect(loadConfig({ IDEMPOTENCY_TTL_SECONDS: '1' }).idempotencyTtlSeconds).to.equal(1);
    expect(loadConfig({ IDEMPOTENCY_TTL_SECONDS: '315360000' }).idempotencyTtlSeconds).to.equal(315_360_000);
    expect(loadConfig({ IDEMPOTENCY_SWEEP_SECONDS: '0' }).idempotencySweepSeconds).to.equal(0);
    for (const level of ['debug', 'info', 'warn', 'error', 'silent']) expect(loadConfig({ LOG_LEVEL: level }).logLevel).to.equal(level);
    // The metrics listener: off unless METRICS_PORT is set; 0 is any free port (the log says which).
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).to.equal(0);
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' })).to.deep.include({ metricsPort: 9464, metricsHost: '10.0.0.5' });
    const autoInstall = (value: string) => (loadConfig({ MARIADB_AUTO_INSTALL: value }).database as { autoInstall: boolean }).autoInstall;
    for (const value of ['1', 'true', 'TRUE', 'yes', 'On']) expect(autoInstall(value), value).to.equal(true);
    for (const value of ['0', 'false', 'No', 'OFF']) expect(autoInstall(value), value).to.equal(false);
  });

  it('uses DATABASE_URL when set, else the managed MariaDB in DATA_DIR, where the first-start key goes unless BOOTSTRAP_KEY_FILE says otherwise', () => {
    const url = 'mysql://app:secret@db.example:3307/sessions';
    expect(loadConfig({ DATABASE_URL: url, DATA_DIR: '/srv/data' }).database).to.deep.equal({ kind: 'url', url });
    const local = loadConfig({ DATA_DIR: '/srv/data', MARIADB_AUTO_INSTALL: 'false' });
    expect(local.database).to.deep.equal({ kind: 'local', dataDir: '/srv/data', autoInstall: false });
    expect(local.bootstrapKeyFile).to.equal('/srv/data/default-api-key');
    expect(loadConfig({ DATA_DIR: '/srv/data', BOOTSTRAP_KEY_FILE: '/run/key' }).bootstrapKeyFile).to.equal('/run/key');
  });
});

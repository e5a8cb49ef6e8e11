/**
 * The bare upsert service: what a user would write instead of this store, the baseline of issue 12.
 * One HTTP request, one `INSERT … ON DUPLICATE KEY UPDATE` of the whole JSON, no history.
 *
 * Built on the same stack as the store (Koa, @koa/router, raw-body, mysql2 prepared statements on a
 * pool of DB_POOL_SIZE connections, one process): the fair peer, since the comparison is then the
 * history store's work against none, not one HTTP framework against another. It does what such a
 * service cannot skip: a bearer token compared in constant time (held in memory: a real one would
 * do at least that), the body read with a size limit and parsed as JSON (a service that stores
 * whatever it is sent answers its next load with garbage), the row upserted, and a load answering
 * the stored text as it is.
 *
 *   DATABASE_URL=mysql://… PEER_TOKEN=… PORT=0 node dist/scripts/bench/upsertPeer.js
 *
 * Logs one JSON line `{"message":"listening","port":N}` on stderr (as the server does), and stops
 * on SIGTERM/SIGINT.
 */
import { timingSafeEqual } from 'node:crypto';
import Router from '@koa/router';
import Koa from 'koa';
import getRawBody from 'raw-body';
import { createPool } from '../../src/db/pool.js';
import { parseDatabaseUrl } from '../../src/db/target.js';

const target = parseDatabaseUrl(process.env.DATABASE_URL ?? '');
const token = Buffer.from(`Bearer ${process.env.PEER_TOKEN ?? ''}`);
const pool = createPool(target, Number(process.env.DB_POOL_SIZE ?? 20));

await pool.query(
  'CREATE TABLE IF NOT EXISTS peer_states (session_id VARCHAR(128) NOT NULL PRIMARY KEY, state LONGTEXT NOT NULL, updated_at DATETIME(6) NOT NULL) ENGINE=InnoDB',
);

const app = new Koa();
const router = new Router();

app.use(async (ctx, next) => {
  const sent = Buffer.from(ctx.get('Authorization'));
  if (sent.length !== token.length || !timingSafeEqual(sent, token)) {
    ctx.status = 401;
    return;
  }
  await next();
});

router.put('/v1/sessions/:sid/state', async (ctx) => {
  const text = await getRawBody(ctx.req, { limit: 16 * 1024 * 1024, encoding: 'utf8' });
  try {
    JSON.parse(text);
  } catch {
    ctx.status = 400;
    return;
  }
  await pool.execute(
    'INSERT INTO peer_states (session_id, state, updated_at) VALUES (?, ?, UTC_TIMESTAMP(6)) ON DUPLICATE KEY UPDATE state = VALUES(state), updated_at = VALUES(updated_at)',
    [ctx.params.sid!, text],
  );
  ctx.status = 200;
  ctx.body = { session_id: ctx.params.sid };
});

router.get('/v1/sessions/:sid/state', async (ctx) => {
  const [rows] = await pool.execute('SELECT state FROM peer_states WHERE session_id = ?', [ctx.params.sid!]);
  const row = (rows as Array<{ state: string }>)[0];
  if (!row) {
    ctx.status = 404;
    return;
  }
  ctx.type = 'application/json';
  ctx.body = row.state;
});

app.use(router.routes());

const server = app.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stderr.write(`${JSON.stringify({ message: 'listening', port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void pool.end().then(() => process.exit(0));
  });
}

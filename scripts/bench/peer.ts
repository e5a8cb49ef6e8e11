/**
 * Issue 12's baseline, the bare upsert service (upsertPeer.ts), started as a process of its own on
 * the same MariaDB, and the states both it and the store are sent.
 */
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { migrate } from '../../src/db/migrate.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { projectRoot } from '../../src/paths.js';
import type { Workload } from '../lib/workloads.js';
import { spawnServerProcess, type ServerProcess } from '../lib/serverProcess.js';
import type { Bench } from './subject.js';

/** ~1 KB states of one client's session: a small object whose list items change one at a time. */
export function smallStates(seed: number): (i: number) => string {
  const items = Array.from({ length: 14 }, (_, k) => ({ id: `item-${k}`, label: `label ${k} of client ${seed}`, qty: k, done: false }));
  return (i) => {
    const k = i % items.length;
    items[k] = { ...items[k]!, qty: i, done: i % 2 === 0 };
    return JSON.stringify({ client: seed, counter: i, user: { id: `u${seed}`, name: 'Ana', locale: 'pt-BR' }, items });
  };
}

/**
 * The states of a `count`-version chat session: the chat workload's states in order, over and
 * over (each round starts a new conversation, so its first version is stored whole).
 */
export function chatSessionStates(chat: Workload, count: number): string[] {
  return Array.from({ length: count }, (_, i) => chat.lines[i % chat.lines.length]!);
}

export interface Peer {
  process: ServerProcess;
  put(sid: string, body: string): Promise<Response>;
  get(sid: string): Promise<Response>;
  close(): Promise<void>;
}

const PEER_TOKEN = 'peer-bench-token';

/** The bare upsert service on a fresh database `name` of the bench's MariaDB; close() drops it. */
export async function startPeer(bench: Bench, name: string): Promise<Peer> {
  await bench.admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
  await bench.admin.query(`CREATE DATABASE ${mysql.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  const target = { ...bench.server, database: name };
  // Not needed by the peer, but the same server-side schema state as the store's database.
  await migrate(target);
  const peerProcess = await spawnServerProcess(
    { DATABASE_URL: formatDatabaseUrl(target), PEER_TOKEN, DB_POOL_SIZE: '20' },
    [process.execPath, join(projectRoot, 'dist/scripts/bench/upsertPeer.js')],
  );
  const auth = { authorization: `Bearer ${PEER_TOKEN}` };
  return {
    process: peerProcess,
    put: (sid, body) => fetch(`${peerProcess.baseUrl}/v1/sessions/${sid}/state`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body }),
    get: (sid) => fetch(`${peerProcess.baseUrl}/v1/sessions/${sid}/state`, { headers: auth }),
    async close() {
      await peerProcess.stop();
      await bench.admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(name)}`);
    },
  };
}

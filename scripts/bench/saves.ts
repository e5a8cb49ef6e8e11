/**
 * 2. Save throughput and latency, against the bare upsert service (issue 12's peer: one HTTP
 * request, one INSERT … ON DUPLICATE KEY UPDATE of the whole JSON, no history; upsertPeer.ts, a
 * process of its own on the same MariaDB, sent the same states by the same client, in alternating
 * turns with ours) and against a raw single-row INSERT of the same bytes.
 */
import { createPool } from '../../src/db/pool.js';
import type { Workload } from '../lib/workloads.js';
import { alternatingLoops, closedLoop, databasePid, round, turnCpu } from './measure.js';
import { smallStates, startPeer } from './peer.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, type Bench } from './subject.js';

export async function saves(bench: Bench, chat: Workload, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_saves');
  const peer = await startPeer(bench, 'bench_saves_peer');
  const raw = createPool(subject.target, 20);
  try {
    const mariadbPid = await databasePid(bench.admin);
    await raw.query('CREATE TABLE bl_raw (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, session_id VARCHAR(128) NOT NULL, body LONGBLOB NOT NULL) ENGINE=InnoDB');
    const kinds: Array<{ name: string; state: (client: number) => (i: number) => string }> = [
      { name: 'small (~1 KB)', state: (client) => smallStates(client) },
      { name: 'chat (chat-300 states)', state: () => (i) => chat.lines[i % chat.lines.length]! },
    ];
    const results = [];
    for (const kind of kinds) {
      for (const clients of [1, 16]) {
        bench.log(`saves: ${kind.name}, ${clients} client(s)`);
        const ourStates = Array.from({ length: clients }, (_, c) => kind.state(c));
        const peerStates = Array.from({ length: clients }, (_, c) => kind.state(c));
        const sessionBase = `saves-${results.length}`;
        const { cpu, onTurn } = turnCpu({ a: subject.process.child.pid, b: peer.process.child.pid }, mariadbPid);
        const { a: ours, b: upsert } = await alternatingLoops(clients, 2 * sizes.saveSeconds, 4, {
          a: async (client, i) => {
            await expectOk(await subject.put(`${sessionBase}-${client}`, ourStates[client]!(i)), 'save');
          },
          b: async (client, i) => {
            await expectOk(await peer.put(`${sessionBase}-${client}`, peerStates[client]!(i)), 'peer save');
          },
        }, onTurn);
        const perSave = (ms: number, count: number) => round(ms / count, 3);
        const rawStates = Array.from({ length: clients }, (_, c) => kind.state(c));
        const baseline = await closedLoop(clients, sizes.rawSeconds, async (client, i) => {
          await raw.execute('INSERT INTO bl_raw (session_id, body) VALUES (?, ?)', [`${sessionBase}-${client}`, rawStates[client]!(i)]);
        });
        results.push({
          state: kind.name,
          clients,
          saves_per_second: ours.rate,
          latency: ours.latency,
          peer_upserts_per_second: upsert.rate,
          peer_latency: upsert.latency,
          ratio_to_peer: round(ours.rate / upsert.rate, 2),
          ratio_p99_to_peer_p99: round(ours.latency.p99_ms / upsert.latency.p99_ms, 2),
          baseline_raw_insert_per_second: baseline.rate,
          baseline_latency: baseline.latency,
          ratio_to_raw_insert: round(ours.rate / baseline.rate, 2),
          ratio_peer_to_raw_insert: round(upsert.rate / baseline.rate, 2),
          // CPU per save from /proc (0 where not measurable): what bounds the rates on a machine whose cores are all busy.
          server_cpu_ms_per_save: perSave(cpu.a.server, ours.count),
          database_cpu_ms_per_save: perSave(cpu.a.database, ours.count),
          peer_server_cpu_ms_per_save: perSave(cpu.b.server, upsert.count),
          peer_database_cpu_ms_per_save: perSave(cpu.b.database, upsert.count),
        });
      }
    }
    return results;
  } finally {
    await raw.end();
    await peer.close();
    await subject.close();
  }
}

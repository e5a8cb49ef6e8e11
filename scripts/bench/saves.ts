/** 2. Save throughput and latency, against a raw single-row INSERT of the same bytes. */
import { createPool } from '../../src/db/pool.js';
import type { Workload } from '../lib/workloads.js';
import { closedLoop, round } from './measure.js';
import type { Sizes } from './sizes.js';
import { expectOk, startSubject, type Bench } from './subject.js';

function smallStates(seed: number): (i: number) => string {
  const items = Array.from({ length: 20 }, (_, k) => ({ id: `item-${k}`, label: `label ${k} of client ${seed}`, qty: k, done: false }));
  return (i) => {
    const k = i % items.length;
    items[k] = { ...items[k]!, qty: i, done: i % 2 === 0 };
    return JSON.stringify({ client: seed, counter: i, user: { id: `u${seed}`, name: 'Ana', locale: 'pt-BR' }, items });
  };
}

export async function saves(bench: Bench, chat: Workload, sizes: Sizes) {
  const subject = await startSubject(bench, 'bench_saves');
  const raw = createPool(subject.target, 20);
  try {
    await raw.query('CREATE TABLE bl_raw (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, session_id VARCHAR(128) NOT NULL, body LONGBLOB NOT NULL) ENGINE=InnoDB');
    const kinds: Array<{ name: string; state: (client: number) => (i: number) => string }> = [
      { name: 'small (~2 KB)', state: (client) => smallStates(client) },
      { name: 'chat (chat-300 states)', state: () => (i) => chat.lines[i % chat.lines.length]! },
    ];
    const results = [];
    for (const kind of kinds) {
      for (const clients of [1, 16]) {
        bench.log(`saves: ${kind.name}, ${clients} client(s)`);
        const generators = Array.from({ length: clients }, (_, c) => kind.state(c));
        const sessionBase = `saves-${results.length}`;
        const ours = await closedLoop(clients, sizes.saveSeconds, async (client, i) => {
          await expectOk(await subject.put(`${sessionBase}-${client}`, generators[client]!(i)), 'save');
        });
        const rawGenerators = Array.from({ length: clients }, (_, c) => kind.state(c));
        const baseline = await closedLoop(clients, sizes.rawSeconds, async (client, i) => {
          await raw.execute('INSERT INTO bl_raw (session_id, body) VALUES (?, ?)', [`${sessionBase}-${client}`, rawGenerators[client]!(i)]);
        });
        results.push({
          state: kind.name,
          clients,
          saves_per_second: ours.rate,
          latency: ours.latency,
          baseline_raw_insert_per_second: baseline.rate,
          baseline_latency: baseline.latency,
          ratio_to_raw_insert: round(ours.rate / baseline.rate, 2),
        });
      }
    }
    return results;
  } finally {
    await raw.end();
    await subject.close();
  }
}

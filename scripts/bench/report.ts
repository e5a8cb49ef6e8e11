/** The targets each run is held to, and the markdown report (bench/REPORT.md). */
import type { diffs, longListDiffs } from './diff.js';
import type { historyPages } from './historyPages.js';
import type { loads } from './loads.js';
import { round } from './measure.js';
import type { pauses } from './pauses.js';
import type { peerLoads } from './peerLoads.js';
import type { saves } from './saves.js';
import type { storage } from './storage.js';

export interface Results {
  meta: Record<string, unknown>;
  storage: Awaited<ReturnType<typeof storage>>;
  saves: Awaited<ReturnType<typeof saves>>;
  loads: Awaited<ReturnType<typeof loads>>;
  history_pages: Awaited<ReturnType<typeof historyPages>>;
  diff: ReturnType<typeof diffs>;
  diff_long_lists: ReturnType<typeof longListDiffs>;
  pauses: Awaited<ReturnType<typeof pauses>>;
  peer_loads: Awaited<ReturnType<typeof peerLoads>>;
  targets: Array<{ target: string; measured: string; holds: boolean }>;
}

export function targets(r: Omit<Results, 'targets'>): Results['targets'] {
  const storageTarget = { 'chat-300': 40, 'creds-300': 25, 'table-100': 15 } as Record<string, number>;
  const out: Results['targets'] = [];
  // Issue 12: against the bare upsert service, measured in the same run.
  for (const s of r.saves.filter((x) => x.clients === 16)) {
    out.push({ target: `issue 12: save rate, 16 clients, ${s.state}: >= 0.8x the upsert peer's`, measured: `${s.ratio_to_peer}x (${s.saves_per_second}/s vs ${s.peer_upserts_per_second}/s)`, holds: s.ratio_to_peer >= 0.8 });
    out.push({ target: `issue 12: save p99, 16 clients, ${s.state}: <= 2x the upsert peer's p99`, measured: `${s.ratio_p99_to_peer_p99}x (${s.latency.p99_ms} ms vs ${s.peer_latency.p99_ms} ms; p50 ${s.latency.p50_ms} vs ${s.peer_latency.p50_ms} ms)`, holds: s.ratio_p99_to_peer_p99 <= 2 });
  }
  const p = r.peer_loads;
  out.push({ target: `issue 12: load latest over HTTP, ~1 KB state, p50: <= 1.2x the upsert peer's`, measured: `${p.ratio_latest_small_p50_to_peer}x (${p.latest_small.p50_ms} ms vs ${p.peer_latest_small.p50_ms} ms)`, holds: p.ratio_latest_small_p50_to_peer <= 1.2 });
  out.push({ target: `issue 12: load latest over HTTP, chat session head (${p.chat_head_state_bytes} B), p50: <= 1.2x the upsert peer's`, measured: `${p.ratio_latest_chat_p50_to_peer}x (${p.latest_chat.p50_ms} ms vs ${p.peer_latest_chat.p50_ms} ms)`, holds: p.ratio_latest_chat_p50_to_peer <= 1.2 });
  out.push({ target: `issue 12: load a random version of a ${p.chat_session_versions}-version chat session, p50: <= 2x the upsert peer's latest load (of that state)`, measured: `${p.ratio_random_version_p50_to_peer_latest}x (${p.random_version.p50_ms} ms vs ${p.peer_latest_same_state.p50_ms} ms)`, holds: p.ratio_random_version_p50_to_peer_latest <= 2 });
  for (const s of r.storage) {
    const want = storageTarget[s.workload];
    if (want !== undefined) {
      out.push({ target: `storage ${s.workload}: >= ${want}x smaller than a system-versioned table`, measured: `${s.ratio_system_versioned_to_ours}x`, holds: s.ratio_system_versioned_to_ours >= want });
    }
  }
  for (const s of r.saves.filter((x) => x.clients === 16)) {
    out.push({ target: `save throughput, 16 clients, ${s.state}: >= 0.5x raw INSERT rate`, measured: `${s.ratio_to_raw_insert}x`, holds: s.ratio_to_raw_insert >= 0.5 });
  }
  for (const l of r.loads.by_history) {
    out.push({ target: `load latest p50 (history ${l.history_versions}), load use case in process: <= 1.5x PK SELECT`, measured: `${l.ratio_use_case_latest_p50_to_pk_select}x`, holds: l.ratio_use_case_latest_p50_to_pk_select <= 1.5 });
    out.push({ target: `load latest p50 (history ${l.history_versions}), end to end over HTTP: <= 1.5x PK SELECT`, measured: `${l.ratio_latest_p50_to_pk_select}x (a bare HTTP round trip alone: ${round(l.http_floor_healthz.p50_ms / l.baseline_pk_select.p50_ms, 2)}x)`, holds: l.ratio_latest_p50_to_pk_select <= 1.5 });
  }
  out.push({ target: 'load random version p50, longest vs shortest history: ratio <= 1.5', measured: `${r.loads.ratio_random_version_p50_longest_to_shortest}`, holds: r.loads.ratio_random_version_p50_longest_to_shortest <= 1.5 });
  out.push({ target: 'history page of 100: independent of state size (ratio <= 1.5)', measured: `${r.history_pages.ratio_p50_large_to_small}`, holds: r.history_pages.ratio_p50_large_to_small <= 1.5 });
  const pause = r.pauses.with_workers.longest_pause_ms;
  out.push({ target: `longest pause another tenant sees while one saves and diffs a ${r.pauses.array_elements}-element state: < 100 ms`, measured: `${pause} ms (event loop only: ${r.pauses.baseline_event_loop_only.longest_pause_ms} ms)`, holds: pause < 100 });
  return out;
}

export function markdown(r: Results): string {
  const lines: string[] = [];
  const m = r.meta;
  lines.push(`# Benchmark report`, '');
  lines.push(`${m.date} · ${m.cpus} × ${m.cpu_model} · ${m.memory_gib} GiB · Node ${m.node} · MariaDB ${m.mariadb}${m.quick ? ' · **--quick (tiny sizes, not for quoting)**' : ''}`, '');
  lines.push(`Command: \`${m.command}\` (${m.seconds} s). Every ratio is against a baseline measured in the same run on the same server; load and history-page samples are taken in turns with their baselines, so both see the same moments of a shared machine.`, '');
  lines.push('## Targets', '', '| target | measured | holds |', '| --- | --- | --- |');
  for (const t of r.targets) lines.push(`| ${t.target} | ${t.measured} | ${t.holds ? 'yes' : '**no**'} |`);
  lines.push('', '## 1. Storage (InnoDB data + index bytes after ANALYZE TABLE)', '');
  lines.push('Every save carries an Idempotency-Key, as both clients send: "ours on disk" includes the `idempotency_keys` table, whose records are kept for `IDEMPOTENCY_TTL_SECONDS` (24 h) and then purged.', '');
  lines.push('| workload | saves | sum of full states | ours: stored patches + checkpoints | idempotency records (bytes) | ours on disk (of which records) | overwrite (no history) | copy per save | system-versioned | copies / ours | system-versioned / ours |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of r.storage) {
    lines.push(`| ${s.workload} | ${s.saves} | ${s.full_states_bytes} | ${s.stored_events_bytes + s.stored_checkpoints_bytes} | ${s.idempotency_records} (${s.stored_idempotency_bytes}) | ${s.on_disk_bytes} (${s.on_disk_idempotency_bytes}) | ${s.baseline_overwrite_bytes} | ${s.baseline_copies_bytes} | ${s.baseline_system_versioned_bytes} | ${s.ratio_copies_to_ours}× | ${s.ratio_system_versioned_to_ours}× |`);
  }
  lines.push('', '## 2. Saves (through HTTP, distinct sessions per client) vs the bare upsert service and a raw single-row INSERT of the same bytes (autocommit)', '');
  lines.push('The upsert peer (`scripts/bench/upsertPeer.ts`) is what a user would otherwise write: one HTTP request, one `INSERT … ON DUPLICATE KEY UPDATE` of the whole JSON, no history; on the same stack as the store (Koa, @koa/router, raw-body, mysql2 prepared statements, one process with a pool of 20), so the comparison is the history store\'s work against none, not one framework against another; it checks a bearer token held in memory and parses the body as JSON. A separate process on the same MariaDB, sent the same states by the same client, in alternating turns with ours (4 turns each).', '');
  const cpuLines = ['', 'CPU time per save (user + system, from /proc, during each side\'s own turns): with every core busy, a rate follows it.', '', '| state | clients | ours: server ms | ours: MariaDB ms | peer: server ms | peer: MariaDB ms | ours / peer (server + MariaDB) |', '| --- | --- | --- | --- | --- | --- | --- |'];
  lines.push('| state | clients | ours saves/s | p50 ms | p99 ms | peer upserts/s | peer p50 ms | peer p99 ms | ours / peer | p99 ours / peer | raw INSERT/s | raw p50 ms | raw p99 ms | ours / raw | peer / raw |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const s of r.saves) {
    cpuLines.push(`| ${s.state} | ${s.clients} | ${s.server_cpu_ms_per_save} | ${s.database_cpu_ms_per_save} | ${s.peer_server_cpu_ms_per_save} | ${s.peer_database_cpu_ms_per_save} | ${round((s.server_cpu_ms_per_save + s.database_cpu_ms_per_save) / (s.peer_server_cpu_ms_per_save + s.peer_database_cpu_ms_per_save), 2)}× |`);
    lines.push(`| ${s.state} | ${s.clients} | ${s.saves_per_second} | ${s.latency.p50_ms} | ${s.latency.p99_ms} | ${s.peer_upserts_per_second} | ${s.peer_latency.p50_ms} | ${s.peer_latency.p99_ms} | ${s.ratio_to_peer}× | ${s.ratio_p99_to_peer_p99}× | ${s.baseline_raw_insert_per_second} | ${s.baseline_latency.p50_ms} | ${s.baseline_latency.p99_ms} | ${s.ratio_to_raw_insert}× | ${s.ratio_peer_to_raw_insert}× |`);
  }
  lines.push(...cpuLines);
  lines.push('', '## 3. Loads vs a primary-key SELECT of the same state stored whole', '');
  lines.push('End to end: HTTP GET from another process (API key check, head row, state). Use case: the same load function the route calls, in this process, with the JSON serialisation. `/healthz` is a bare HTTP round trip with no database work: the floor under any HTTP answer.', '');
  lines.push('| history | HTTP latest p50 / p99 ms | HTTP random version p50 / p99 | HTTP random instant p50 / p99 | use case latest p50 / p99 | use case random version p50 / p99 | HTTP /healthz p50 | PK SELECT p50 / p99 | HTTP latest / PK | use case latest / PK |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const l of r.loads.by_history) {
    lines.push(`| ${l.history_versions} | ${l.latest.p50_ms} / ${l.latest.p99_ms} | ${l.random_version.p50_ms} / ${l.random_version.p99_ms} | ${l.random_instant.p50_ms} / ${l.random_instant.p99_ms} | ${l.use_case_latest.p50_ms} / ${l.use_case_latest.p99_ms} | ${l.use_case_random_version.p50_ms} / ${l.use_case_random_version.p99_ms} | ${l.http_floor_healthz.p50_ms} | ${l.baseline_pk_select.p50_ms} / ${l.baseline_pk_select.p99_ms} | ${l.ratio_latest_p50_to_pk_select}× | ${l.ratio_use_case_latest_p50_to_pk_select}× |`);
  }
  lines.push('', `Longest vs shortest history (p50): HTTP random version ${r.loads.ratio_random_version_p50_longest_to_shortest}, use case random version ${r.loads.ratio_use_case_random_version_p50_longest_to_shortest}, HTTP random instant ${r.loads.ratio_random_instant_p50_longest_to_shortest}, HTTP latest ${r.loads.ratio_latest_p50_longest_to_shortest}.`);
  const replays = r.loads.by_history.map((l) => `${l.history_versions} versions: ${l.replay.most_events_since_checkpoint} (${l.replay.versions_loaded} loads counted: at most ${l.replay.most_patches_replayed}, ${l.replay.patches_replayed_beyond_nearest_checkpoint} beyond the nearest checkpoint)`);
  lines.push('', `Most patches a load replays, from the database over every version (\`CHECKPOINT_EVERY\` = ${r.loads.checkpoint_every}), and on the load path: ${replays.join('; ')}.`);
  lines.push('', '## 4. History page of 100 entries', '', '| state size | p50 ms | p99 ms |', '| --- | --- | --- |');
  for (const h of r.history_pages.by_state_size) lines.push(`| ${h.state_bytes} B | ${h.page_of_100.p50_ms} | ${h.page_of_100.p99_ms} |`);
  lines.push('', `Large vs small (p50): ${r.history_pages.ratio_p50_large_to_small}.`);
  lines.push('', '## 5. Diff of consecutive workload states vs fast-json-patch compare()', '');
  lines.push('| workload | pairs | ours ms | compare() ms | ours patch bytes | compare() patch bytes | compare / ours bytes |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const d of r.diff) lines.push(`| ${d.workload} | ${d.pairs} | ${d.ours_ms} | ${d.compare_ms} | ${d.ours_patch_bytes} | ${d.compare_patch_bytes} | ${d.ratio_patch_bytes_compare_to_ours}× |`);
  lines.push('', 'Long lists (best of three; on the server a state this large is diffed on a worker thread, not on the event loop):', '');
  lines.push('| rows | change | ours ms | compare() ms | ours patch bytes | compare() patch bytes |', '| --- | --- | --- | --- | --- | --- |');
  for (const d of r.diff_long_lists) lines.push(`| ${d.rows} | ${d.change} | ${d.ours_ms} | ${d.compare_ms} | ${d.ours_patch_bytes} | ${d.compare_patch_bytes} |`);
  const p = r.pauses;
  lines.push('', `## 6. Another tenant's waits while one tenant saves two ${p.array_elements}-element arrays and diffs them`, '');
  lines.push('The bystander sends small GETs one after another; its longest wait is the longest pause it saw. The same scene runs on a server doing all state work on its event loop (`WORKER_THREADS=0`), the way every state was handled before the worker threads.', '');
  lines.push('| server | bystander idle p50 / p99 ms | during p50 / p99 ms | longest pause ms | bystander requests during | large saves + diff ms |', '| --- | --- | --- | --- | --- | --- |');
  for (const [label, s] of [['worker threads (default)', p.with_workers], ['event loop only', p.baseline_event_loop_only]] as const) {
    lines.push(`| ${label} | ${s.idle.p50_ms} / ${s.idle.p99_ms} | ${s.during.p50_ms} / ${s.during.p99_ms} | ${s.longest_pause_ms} | ${s.during.samples} | ${s.heavy_ms} |`);
  }
  lines.push('', `Longest pause, event loop only vs worker threads: ${p.ratio_longest_pause_event_loop_to_workers}×.`);
  const q = r.peer_loads;
  lines.push('', '## 7. Loads over HTTP vs the bare upsert service', '');
  lines.push(`One client, samples taken in shuffled turns (${q.latest_small.samples} each). The chat session has ${q.chat_session_versions} versions: the chat workload's states over and over, each round a new conversation. Its random version is compared with the peer's load of that same state (the peer holds each distinct state under an id of its own).`, '');
  lines.push('| load | ours p50 / p99 ms | peer p50 / p99 ms | ours / peer (p50) |', '| --- | --- | --- | --- |');
  lines.push(`| latest, ~1 KB (${q.small_state_bytes} B) | ${q.latest_small.p50_ms} / ${q.latest_small.p99_ms} | ${q.peer_latest_small.p50_ms} / ${q.peer_latest_small.p99_ms} | ${q.ratio_latest_small_p50_to_peer}× |`);
  lines.push(`| latest, chat head (${q.chat_head_state_bytes} B) | ${q.latest_chat.p50_ms} / ${q.latest_chat.p99_ms} | ${q.peer_latest_chat.p50_ms} / ${q.peer_latest_chat.p99_ms} | ${q.ratio_latest_chat_p50_to_peer}× |`);
  lines.push(`| random version of ${q.chat_session_versions} (peer: latest of that state) | ${q.random_version.p50_ms} / ${q.random_version.p99_ms} | ${q.peer_latest_same_state.p50_ms} / ${q.peer_latest_same_state.p99_ms} | ${q.ratio_random_version_p50_to_peer_latest}× |`);
  lines.push('');
  return lines.join('\n');
}

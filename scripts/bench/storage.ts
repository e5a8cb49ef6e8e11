/**
 * 1. Storage: each workload saved through HTTP, against the same states in three baseline tables
 * on the same database (one row overwritten, a copy per save, a system-versioned table). Each
 * save carries an Idempotency-Key, as both clients send, so the figures include the records they
 * leave (kept for IDEMPOTENCY_TTL_SECONDS, then purged).
 */
import { randomUUID } from 'node:crypto';
import mysql from 'mysql2/promise';
import { selectRows, type Pool } from '../../src/db/pool.js';
import type { Workload } from '../lib/workloads.js';
import { round } from './measure.js';
import { expectOk, startSubject, type Bench } from './subject.js';

const OUR_TABLES = ['sessions', 'events', 'checkpoints', 'idempotency_keys'];

async function tableBytes(pool: Pool, tables: string[]): Promise<number> {
  for (const table of tables) await pool.query(`ANALYZE TABLE ${mysql.escapeId(table)}`);
  const [rows] = await pool.query(
    `SELECT COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
    [tables],
  );
  return Number((rows as Array<{ bytes: number }>)[0]!.bytes);
}

export async function storage(bench: Bench, workloads: Workload[]) {
  const results = [];
  for (const workload of workloads) {
    bench.log(`storage: ${workload.name} (${workload.lines.length} states)`);
    const subject = await startSubject(bench, `bench_storage_${workload.name.replace(/\W/g, '_')}`);
    try {
      for (const line of workload.lines) {
        await expectOk(await subject.put(workload.name, line, { 'idempotency-key': randomUUID() }), `save ${workload.name}`);
      }
      const pool = subject.pool;
      await pool.query('CREATE TABLE bl_overwrite (session_id VARCHAR(128) PRIMARY KEY, state LONGTEXT NOT NULL) ENGINE=InnoDB');
      await pool.query('CREATE TABLE bl_copies (session_id VARCHAR(128), version INT UNSIGNED, state LONGTEXT NOT NULL, PRIMARY KEY (session_id, version)) ENGINE=InnoDB');
      await pool.query('CREATE TABLE bl_versioned (session_id VARCHAR(128) PRIMARY KEY, state LONGTEXT NOT NULL) ENGINE=InnoDB WITH SYSTEM VERSIONING');
      let version = 0;
      for (const line of workload.lines) {
        version++;
        await pool.query('INSERT INTO bl_overwrite (session_id, state) VALUES (?, ?) ON DUPLICATE KEY UPDATE state = VALUES(state)', [workload.name, line]);
        await pool.query('INSERT INTO bl_copies (session_id, version, state) VALUES (?, ?, ?)', [workload.name, version, line]);
        await pool.query('INSERT INTO bl_versioned (session_id, state) VALUES (?, ?) ON DUPLICATE KEY UPDATE state = VALUES(state)', [workload.name, line]);
      }
      const ours = await tableBytes(pool, OUR_TABLES);
      const overwrite = await tableBytes(pool, ['bl_overwrite']);
      const copies = await tableBytes(pool, ['bl_copies']);
      const versioned = await tableBytes(pool, ['bl_versioned']);
      const idempotencyOnDisk = await tableBytes(pool, ['idempotency_keys']);
      const [logical] = await selectRows<{ events: number; checkpoints: number; records: number; record_bytes: number }>(
        pool,
        `SELECT (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events) AS events, (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints) AS checkpoints,
                (SELECT COUNT(*) FROM idempotency_keys) AS records,
                (SELECT COALESCE(SUM(LENGTH(idempotency_key) + LENGTH(request_hash) + 2 + LENGTH(response) + 8), 0) FROM idempotency_keys) AS record_bytes`,
        [],
      );
      const fullStates = workload.lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0);
      results.push({
        workload: workload.name,
        saves: workload.lines.length,
        full_states_bytes: fullStates,
        stored_events_bytes: Number(logical!.events),
        stored_checkpoints_bytes: Number(logical!.checkpoints),
        idempotency_records: Number(logical!.records),
        stored_idempotency_bytes: Number(logical!.record_bytes),
        on_disk_bytes: ours,
        on_disk_idempotency_bytes: idempotencyOnDisk,
        baseline_overwrite_bytes: overwrite,
        baseline_copies_bytes: copies,
        baseline_system_versioned_bytes: versioned,
        ratio_copies_to_ours: round(copies / ours, 1),
        ratio_system_versioned_to_ours: round(versioned / ours, 1),
        ratio_ours_to_overwrite: round(ours / overwrite, 2),
      });
    } finally {
      await subject.close();
    }
  }
  return results;
}

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { appliedMigrations, migrate, migrationNames } from '../../src/db/migrate.js';
import { connectionOptions, type Pool } from '../../src/db/pool.js';
import type { DatabaseTarget } from '../../src/db/target.js';
import { migrationsDir } from '../../src/paths.js';
import { createTestDatabase } from '../helpers/database.js';

/** Runs migration files' SQL as they are, without the runner and its bookkeeping. */
async function runMigrationFiles(target: DatabaseTarget, names: string[]): Promise<void> {
  const connection = await mysql.createConnection({ ...connectionOptions(target), multipleStatements: true });
  try {
    for (const name of names) await connection.query(readFileSync(join(migrationsDir, name), 'utf8'));
  } finally {
    await connection.end();
  }
}

/** Every table's definition, as the database states it. */
async function schema(pool: Pool): Promise<string[]> {
  const [tables] = await pool.query('SHOW TABLES');
  const definitions: string[] = [];
  for (const row of tables as Array<Record<string, string>>) {
    const [[created]] = (await pool.query(`SHOW CREATE TABLE ${mysql.escapeId(Object.values(row)[0]!)}`)) as unknown as [Array<Record<string, string>>];
    definitions.push(created!['Create Table']!.replace(/ AUTO_INCREMENT=\d+/, ''));
  }
  return definitions;
}

describe('migrations', () => {
  it('apply on an empty database, and a second run applies nothing and changes nothing', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      expect(await migrate(db.target)).to.deep.equal(migrationNames());
      const [tablesBefore] = await db.pool.query('SHOW TABLES');
      expect(await migrate(db.target)).to.deep.equal([]);
      const [tablesAfter] = await db.pool.query('SHOW TABLES');
      expect(tablesAfter).to.deep.equal(tablesBefore);
      expect(await appliedMigrations(db.pool)).to.deep.equal(migrationNames());
    } finally {
      await db.drop();
    }
  });

  it('each file runs again on the schema it made and changes nothing (re-runnable without the runner)', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      await migrate(db.target);
      const before = await schema(db.pool);
      await runMigrationFiles(db.target, migrationNames());
      expect(await schema(db.pool)).to.deep.equal(before);
    } finally {
      await db.drop();
    }
  });

  it('idempotency records: indexed by age for the purge, and records written before 0003 rewritten as the answers their clients got', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const before = migrationNames().filter((name) => name < '0003');
      await runMigrationFiles(db.target, before);
      // As the code before 0003 stored them: its internal answer object, camelCase, DATETIME text.
      const stored = {
        save: '{"sessionId":"s","version":2,"createdAt":"2026-01-02 03:04:05.123456","changed":true,"kind":"save","ops":1,"patchBytes":30,"stateBytes":12,"stateHash":"ab01","replayed":false}',
        unchanged: '{"sessionId":"s","version":2,"createdAt":"2026-01-02 03:04:05.000000","changed":false,"kind":"patch","ops":0,"patchBytes":0,"stateBytes":12,"stateHash":"ab01","replayed":false}',
        restore: '{"sessionId":"s","version":3,"createdAt":"2026-01-02 03:04:06.000001","changed":true,"kind":"restore","ops":1,"patchBytes":9,"stateBytes":12,"stateHash":"cd02","restoredFrom":1,"replayed":false}',
        fork: '{"sessionId":"t","version":1,"createdAt":"2026-01-02 03:04:07.500000","changed":true,"kind":"fork","ops":1,"patchBytes":12,"stateBytes":12,"stateHash":"cd02","forkedFrom":{"sessionId":"s","version":3},"replayed":false}',
        tombstone: '',
      };
      for (const [key, response] of Object.entries(stored)) {
        await db.pool.query(
          `INSERT INTO idempotency_keys (tenant, session_id, idempotency_key, request_hash, status, response, created_at)
           VALUES ('default', 's', ?, UNHEX(SHA2(?, 256)), 201, ?, UTC_TIMESTAMP(6))`,
          [key, key, response],
        );
      }
      // The runner finds nothing applied: it runs every file, the ones already run included.
      expect(await migrate(db.target)).to.deep.equal(migrationNames());
      const [rows] = await db.pool.query('SELECT idempotency_key AS k, response FROM idempotency_keys');
      const responses = Object.fromEntries((rows as Array<{ k: string; response: string }>).map((row) => [row.k, row.response]));
      expect(responses).to.deep.equal({
        save: '{"session_id":"s","version":2,"created_at":"2026-01-02T03:04:05.123456Z","changed":true,"kind":"save","ops":1,"patch_bytes":30,"state_bytes":12,"state_hash":"ab01"}',
        unchanged: '{"session_id":"s","version":2,"created_at":"2026-01-02T03:04:05.000000Z","changed":false,"kind":"patch","ops":0,"patch_bytes":0,"state_bytes":12,"state_hash":"ab01"}',
        restore: '{"session_id":"s","version":3,"created_at":"2026-01-02T03:04:06.000001Z","changed":true,"kind":"restore","ops":1,"patch_bytes":9,"state_bytes":12,"state_hash":"cd02","restored_from":1}',
        fork: '{"session_id":"t","version":1,"created_at":"2026-01-02T03:04:07.500000Z","changed":true,"kind":"fork","ops":1,"patch_bytes":12,"state_bytes":12,"state_hash":"cd02","forked_from":{"session_id":"s","version":3}}',
        tombstone: '',
      });
      const [indexes] = await db.pool.query(
        `SELECT INDEX_NAME AS name FROM information_schema.STATISTICS
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'idempotency_keys' AND SEQ_IN_INDEX = 1 AND COLUMN_NAME = 'created_at'`,
      );
      expect(indexes).to.have.length(1);
      // A second run of the rewrite leaves the rewritten records as they are.
      await runMigrationFiles(db.target, migrationNames());
      const [again] = await db.pool.query('SELECT idempotency_key AS k, response FROM idempotency_keys');
      expect(Object.fromEntries((again as Array<{ k: string; response: string }>).map((row) => [row.k, row.response]))).to.deep.equal(responses);
    } finally {
      await db.drop();
    }
  });

  it('run by two processes at once: applied exactly once, both succeed', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const [first, second] = await Promise.all([migrate(db.target), migrate(db.target)]);
      expect([...first!, ...second!].sort()).to.deep.equal(migrationNames());
      expect(await appliedMigrations(db.pool)).to.deep.equal(migrationNames());
    } finally {
      await db.drop();
    }
  });

  it('every table has a primary key and uses InnoDB', async () => {
    const db = await createTestDatabase();
    try {
      const [rows] = await db.pool.query(
        `SELECT t.TABLE_NAME AS name, t.ENGINE AS engine,
           (SELECT COUNT(*) FROM information_schema.TABLE_CONSTRAINTS c
             WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY') AS pk
         FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = DATABASE()`,
      );
      for (const row of rows as Array<{ name: string; engine: string; pk: number }>) {
        expect(row.engine, row.name).to.equal('InnoDB');
        expect(Number(row.pk), row.name).to.equal(1);
      }
    } finally {
      await db.drop();
    }
  });
});

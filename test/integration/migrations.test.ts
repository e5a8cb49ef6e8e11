import { expect } from 'chai';
import { appliedMigrations, migrate, migrationNames } from '../../src/db/migrate.js';
import { createTestDatabase } from '../helpers/database.js';

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

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { migrationNames } from '../../src/db/migrate.js';
import { openapiPath } from '../../src/paths.js';
import { startTestServer, useTestServer } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/database.js';
import { spec, specOperations } from '../helpers/openapi.js';

describe('contract: the router and openapi.yaml', () => {
  const fixture = useTestServer();

  it('has every route of the router in the spec, and every operation of the spec in the router', () => {
    expect([...fixture.server.app.routes].sort()).to.deep.equal([...specOperations()].sort());
  });

  it('declares on each route the access openapi.yaml gives it (x-access)', () => {
    const declared = Object.fromEntries(
      specOperations().map((operation) => {
        const [method, path] = operation.split(' ') as [string, string];
        return [operation, (spec.paths[path]![method.toLowerCase()] as { 'x-access'?: string })['x-access']];
      }),
    );
    expect(fixture.server.app.access).to.deep.equal(declared);
  });

  it('serves the spec itself, and health and readiness', async () => {
    const spec = await fixture.server.api.request('GET', '/openapi.yaml');
    expect(spec.text).to.equal(readFileSync(openapiPath, 'utf8'));
    expect((await fixture.server.api.request('GET', '/healthz')).body).to.deep.equal({ status: 'ok' });
    expect((await fixture.server.api.request('GET', '/readyz')).body.status).to.equal('ready');
  });

  it('is not ready while a migration is pending, and says so', async () => {
    const pending = await createTestDatabase();
    const unready = await startTestServer(pending.pool, {}, { withKey: false });
    try {
      await pending.pool.query('DELETE FROM schema_migrations WHERE name = ?', [migrationNames().at(-1)]);
      const response = await unready.api.request('GET', '/readyz');
      expect(response.status).to.equal(503);
      expect(response.body.detail).to.match(/^migrations not applied/);
    } finally {
      await unready.close();
      await pending.drop();
    }
  });

  // Issue 14, defect 3: this said "the database is not reachable: Table '…schema_migrations'
  // doesn't exist" to anyone.
  it('says migrations are not applied, not that the database is unreachable, on a database no migration ever ran on', async () => {
    const bare = await createTestDatabase({ migrated: false });
    const unready = await startTestServer(bare.pool, {}, { withKey: false });
    try {
      const response = await unready.api.request('GET', '/readyz');
      expect(response.status).to.equal(503);
      // Said as what it is, with no driver message (table names, paths) for an anonymous caller.
      expect(response.body.detail).to.match(/^migrations not applied yet: 0001_/);
      expect(response.text).not.to.match(/schema_migrations|doesn't exist/);
    } finally {
      await unready.close();
      await bare.drop();
    }
  });
});

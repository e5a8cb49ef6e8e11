import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { openapiPath } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { spec, specOperations } from '../helpers/openapi.js';

describe('contract: the router and openapi.yaml', () => {
  let db: TestDatabase;
  let server: TestServer;
  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
  });
  after(async () => {
    await server.close();
    await db.drop();
  });

  it('has every route of the router in the spec, and every operation of the spec in the router', () => {
    expect([...server.app.routes].sort()).to.deep.equal([...specOperations()].sort());
  });

  it('declares on each route the access openapi.yaml gives it (x-access)', () => {
    const declared = Object.fromEntries(
      specOperations().map((operation) => {
        const [method, path] = operation.split(' ') as [string, string];
        return [operation, (spec.paths[path]![method.toLowerCase()] as { 'x-access'?: string })['x-access']];
      }),
    );
    expect(server.app.access).to.deep.equal(declared);
  });

  it('serves the spec itself, and health and readiness', async () => {
    const spec = await server.api.request('GET', '/openapi.yaml');
    expect(spec.text).to.equal(readFileSync(openapiPath, 'utf8'));
    expect((await server.api.request('GET', '/healthz')).body).to.deep.equal({ status: 'ok' });
    expect((await server.api.request('GET', '/readyz')).body.status).to.equal('ready');
  });

  it('is not ready before the migrations are applied', async () => {
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

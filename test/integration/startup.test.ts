import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/config.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { projectRoot } from '../../src/paths.js';
import { createTestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

/** `npm start` refusing to start: one line that says why, never a stack trace. */
describe('a start that cannot go ahead', function () {
  this.timeout(60_000);
  const main = join(projectRoot, 'dist/src/main.js');
  // A start on an empty database writes its first key: never into the developer's own key file.
  const keyFile = join(tmpdir(), `session-store-startup-key-${process.pid}`);
  after(() => rmSync(keyFile, { force: true }));
  const start = (env: Record<string, string>) =>
    run(process.execPath, [main], { env: { ...process.env, LOG_LEVEL: 'error', BOOTSTRAP_KEY_FILE: keyFile, ...env } }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );

  for (const [name, value, message] of [
    ['PORT', 'eighty', /PORT must be a whole number from 0 to 65535, not \\"eighty\\"/],
    ['BODY_LIMIT_BYTES', '-1', /BODY_LIMIT_BYTES must be a whole number/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL must be one of debug, info, warn, error, silent, not \\"loud\\"/],
  ] as const) {
    it(`${name}=${value}: exit 1 with the setting's message`, async () => {
      const { code, stderr } = await start({ [name]: value });
      expect(code).to.equal(1);
      expect(stderr).to.match(message);
      expect(stderr, 'no stack trace').not.to.match(/\\n\s+at |ConfigError:/);
    });
  }

  it('a port already taken: exit 1 saying so, with no stack trace, and the developer\'s key file untouched', async () => {
    // The project's own first-start key file (the key of an `npm start` on this checkout, which
    // may be running while the tests do): this start, on an empty database, used to overwrite it
    // with a key of that throwaway database, and the service's only copy of its key was gone.
    const developerKey = loadConfig().bootstrapKeyFile;
    const before = existsSync(developerKey) ? readFileSync(developerKey, 'utf8') : undefined;
    const db = await createTestDatabase();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const { code, stderr } = await start({ PORT: String(port), DATABASE_URL: formatDatabaseUrl(db.target) });
      expect(code).to.equal(1);
      expect(stderr).to.match(/EADDRINUSE/);
      expect(stderr, 'no stack trace').not.to.match(/\\n\s+at /);
      expect(existsSync(developerKey) ? readFileSync(developerKey, 'utf8') : undefined).to.equal(before);
    } finally {
      taken.close();
      await db.drop();
    }
  });
});

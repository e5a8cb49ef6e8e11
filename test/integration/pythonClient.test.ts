import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * The Python client's own tests (clients/python/tests, unittest), against the real server.
 * Debian's python3 is preferred: the DataFrame tests need pandas, which this installs from
 * Debian's python3-pandas when it is missing and the suite runs as root with apt-get.
 */
const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

function hasPandas(): boolean {
  return spawnSync(PYTHON, ['-c', 'import pandas'], { stdio: 'ignore' }).status === 0;
}

function installPandas(): void {
  if (PYTHON !== '/usr/bin/python3' || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'python3-pandas']]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 600_000 });
    if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed: ${result.stderr?.slice(-2000)}`);
  }
}

describe('Python client (clients/python, unittest against the real server)', function () {
  this.timeout(900_000);
  let db: TestDatabase;
  let server: TestServer;
  let pandas = false;

  before(async function () {
    if (spawnSync(PYTHON, ['--version']).status !== 0) throw new Error(`no Python interpreter at ${PYTHON}`);
    if (!hasPandas()) {
      try {
        installPandas();
      } catch (error) {
        // pandas only adds the DataFrame tests: say so loudly, and run everything else.
        process.stderr.write(`\nWARNING: could not install python3-pandas; the DataFrame tests will be skipped: ${(error as Error).message}\n`);
      }
    }
    pandas = hasPandas();
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('passes every test of the client, the encoding, the Streamlit helper and the example app', async () => {
    const child = spawn(PYTHON, ['-m', 'unittest', 'discover', '-v', '-s', 'tests', '-t', '.'], {
      cwd: join(projectRoot, 'clients/python'),
      env: { ...process.env, SST_BASE_URL: server.baseUrl, SST_TOKEN: server.token, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).to.equal(0);
    expect(output).to.match(/Ran \d+ tests/);
    expect(output, 'the client tests were skipped').not.to.match(/skipped 'SST_BASE_URL/);
    if (pandas) expect(output, 'pandas is installed, yet its tests were skipped').not.to.match(/skipped 'pandas/);
  });
});

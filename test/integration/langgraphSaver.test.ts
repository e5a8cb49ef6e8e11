import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PYTHON_ENV_TIMEOUT, pythonEnv } from '../helpers/pythonEnv.js';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { childEnvironment } from '../../src/config.js';
import { projectRoot } from '../../src/paths.js';

/** Runs a Python program from clients/python; resolves with its exit code and everything it printed. */
function runPython(python: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      cwd: join(projectRoot, 'clients/python'),
      env: childEnvironment({ PYTHONDONTWRITEBYTECODE: '1', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/**
 * The LangGraph checkpointer (clients/python/session_store/langgraph_saver.py) against the real
 * server, in the project's `langgraph` Python environment: LangGraph's own conformance suite
 * (langgraph-checkpoint-conformance, pinned in clients/python/requirements/langgraph.txt), the
 * saver's own tests, and the time-travel example.
 */
describe('LangGraph checkpointer (SessionStoreSaver): conformance suite, saver tests, example', function () {
  this.timeout(PYTHON_ENV_TIMEOUT);
  let db: TestDatabase;
  let server: TestServer;
  let python: string;

  before(async function () {
    python = await pythonEnv('langgraph');
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
  });
  after(async () => {
    await server?.close();
    await db?.drop();
  });

  it('passes every required capability of the conformance suite and copy_thread, its own tests and the example', async () => {
    const { code, output } = await runPython(python, ['-m', 'unittest', 'discover', '-v', '-s', 'langgraph_tests', '-t', '.'], {
      SST_BASE_URL: server.baseUrl,
      SST_TOKEN: server.token,
    });
    expect(code, output).to.equal(0);
    expect(output).to.match(/Ran \d+ tests/);
    expect(output, 'a test was skipped').not.to.match(/skipped '/);
    expect(output).to.match(/Result: FULL \(6\/6\)/);
    expect(output, output).not.to.match(/FAIL /);
    // Every test of each implemented capability ran: the suite prints one PASS line per test.
    for (const capability of ['put', 'put_writes', 'get_tuple', 'list', 'delete_thread', 'copy_thread']) {
      expect(output, capability).to.match(new RegExp(`PASS ${capability}\\.test_`));
    }
  });
});

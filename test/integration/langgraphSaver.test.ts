import { expect } from 'chai';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { PYTHON_ENV_TIMEOUT, pythonEnv, runPython } from '../helpers/pythonEnv.js';

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

  it('passes every required capability of the conformance suite, copy_thread and prune, its own tests and the example', async () => {
    const { code, output } = await runPython(python, ['-m', 'unittest', 'discover', '-v', '-s', 'langgraph_tests', '-t', '.'], {
      env: { SST_BASE_URL: server.baseUrl, SST_TOKEN: server.token },
    });
    expect(code, output).to.equal(0);
    expect(output).to.match(/Ran \d+ tests/);
    expect(output, 'a test was skipped').not.to.match(/skipped '/);
    expect(output).to.match(/Result: FULL \(7\/7\)/);
    expect(output, output).not.to.match(/FAIL /);
    // Every test of each implemented capability ran: the suite prints one PASS line per test.
    for (const capability of ['put', 'put_writes', 'get_tuple', 'list', 'delete_thread', 'copy_thread', 'prune']) {
      expect(output, capability).to.match(new RegExp(`PASS ${capability}\\.test_`));
    }
  });
});

import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKey } from '../../src/access/keys.js';
import { useTestServer } from '../helpers/api.js';
import { PYTHON_ENV_TIMEOUT, pythonEnv, pythonEnvDir, runPython } from '../helpers/pythonEnv.js';

/**
 * The Python client's own tests (clients/python/tests, unittest), against the real server, in the
 * project's Python environments (test/helpers/pythonEnv.ts): the client with no extras installed
 * as a user would, and the unittest suite with pandas and the real Streamlit.
 */
describe('Python client (clients/python, unittest against the real server)', function () {
  this.timeout(PYTHON_ENV_TIMEOUT);
  const fixture = useTestServer();


  it('installs with `pip install ./clients/python` in a fresh venv with the standard library alone, and works', async () => {
    const python = await pythonEnv('core');
    // Run from elsewhere, so that the installed copy is imported, not the source folder.
    const elsewhere = mkdtempSync(join(tmpdir(), 'sst-core-'));
    try {
      const program = [
        'import json, sys, importlib.metadata as md, session_store',
        'client = session_store.Client(sys.argv[1], sys.argv[2])',
        'client.save("py-core", {"n": 1})',
        'print(json.dumps({"file": session_store.__file__, "loaded": client.load("py-core"), "installed": sorted(d.metadata["Name"].lower() for d in md.distributions())}))',
      ].join('\n');
      const { code, output } = await runPython(python, ['-c', program, fixture.server.baseUrl, fixture.server.token], { cwd: elsewhere });
      expect(code, output).to.equal(0);
      const answer = JSON.parse(output);
      expect(answer.file.startsWith(join(pythonEnvDir('core'), 'lib')), answer.file).to.equal(true);
      expect(answer.loaded).to.deep.equal({ n: 1 });
      // Nothing but the package and what every venv has: no dependency was pulled in.
      expect(answer.installed.filter((name: string) => !['pip', 'setuptools'].includes(name))).to.deep.equal(['session-store-client']);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });

  it('passes every test of the client, the encoding, the Streamlit helper and the example app', async () => {
    const python = await pythonEnv('streamlit');
    const { code, output } = await runPython(python, ['-m', 'unittest', 'discover', '-v', '-s', 'tests', '-t', '.'], {
      env: { SST_BASE_URL: fixture.server.baseUrl, SST_TOKEN: fixture.server.token },
    });
    expect(code, output).to.equal(0);
    expect(output).to.match(/Ran \d+ tests/);
    // Only the Chainlit tests skip here: they run in the chainlit environment, below.
    const skipped = output.match(/skipped '[^']*'/g) ?? [];
    expect(skipped.filter((line) => !line.includes('chainlit is not installed')), 'a test was skipped').to.deep.equal([]);
  });

  it('passes every test of the Chainlit data layer with the real chainlit package', async () => {
    const python = await pythonEnv('chainlit');
    const readToken = (await createKey(fixture.db.pool, { tenant: 'default', role: 'read' })).token;
    // Importing chainlit writes .chainlit/config.toml into its app root: a throwaway one, not clients/python.
    const appRoot = mkdtempSync(join(tmpdir(), 'sst-chainlit-'));
    const { code, output } = await runPython(python, ['-m', 'unittest', '-v', 'tests.test_chainlit'], {
      env: { SST_BASE_URL: fixture.server.baseUrl, SST_TOKEN: fixture.server.token, SST_READ_TOKEN: readToken, CHAINLIT_APP_ROOT: appRoot },
    }).finally(() => rmSync(appRoot, { recursive: true, force: true }));
    expect(code, output).to.equal(0);
    expect(output).to.match(/Ran \d+ tests/);
    expect(output, 'a test was skipped').not.to.match(/skipped '/);
  });
});

import { expect } from 'chai';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnServerProcess, type ServerProcess } from '../../scripts/lib/serverProcess.js';
import { LOCK_FILE } from '../../src/db/dataFolderLock.js';
import { startLocalMariadb } from '../../src/db/localMariadb.js';
import { STORAGE_UNAVAILABLE } from '../../src/http/routes/health.js';
import { silentLogger } from '../../src/log.js';
import { projectRoot } from '../../src/paths.js';
import { apiClient } from '../helpers/api.js';
import { killProcessesOnDataDir, processesOnDataDir, refusesConnections } from '../helpers/processes.js';
import { waitFor } from '../helpers/waitFor.js';

const run = promisify(execFile);
const mainJs = join(projectRoot, 'dist/src/main.js');
const keysJs = join(projectRoot, 'dist/scripts/keys.js');

/** A fresh data folder inside the project (as root, the mysql user must be able to reach it). */
function freshDataDir(prefix: string): string {
  mkdirSync(join(projectRoot, '.data'), { recursive: true });
  return mkdtempSync(join(projectRoot, '.data', prefix));
}

interface Started {
  log: string;
  /** The port when it listens, or its exit code when it stopped before. */
  outcome: { listening: number } | { exited: number | null };
  stop(): Promise<number | null>;
}

/** Starts the server and waits until it listens or exits, whichever comes first. */
function startServer(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [mainJs], {
    cwd: projectRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started: Started = {
    log: '',
    outcome: { exited: null },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  return new Promise((resolve) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      started.log += chunk;
      const match = /"message":"listening".*?"port":(\d+)/.exec(started.log);
      if (match && !('listening' in started.outcome)) {
        started.outcome = { listening: Number(match[1]) };
        resolve(started);
      }
    });
    void exited.then((code) => {
      if (!('listening' in started.outcome)) {
        started.outcome = { exited: code };
        resolve(started);
      }
    });
  });
}

describe('operating one checkout', function () {
  this.timeout(180_000);
  const keyFile = join(tmpdir(), `session-store-ops-key-${process.pid}`);
  // The managed MariaDB even when the suite runs against DATABASE_URL.
  const managed = (dataDir: string): Record<string, string> => ({ DATA_DIR: dataDir, DATABASE_URL: '', BOOTSTRAP_KEY_FILE: keyFile });
  const folders: string[] = [];
  let dataDir: string;

  before(() => {
    dataDir = freshDataDir('ops-');
    folders.push(dataDir);
  });
  afterEach(async () => {
    for (const folder of folders) await killProcessesOnDataDir(folder);
  });
  after(() => {
    for (const folder of folders) {
      rmSync(folder, { recursive: true, force: true });
      rmSync(`${folder}-away`, { recursive: true, force: true });
    }
    rmSync(keyFile, { force: true });
  });

  it('two servers started together on a fresh data folder: one serves, the other refuses with a message; one MariaDB; a script uses it without stopping it', async () => {
    const both = await Promise.all([startServer(managed(dataDir)), startServer(managed(dataDir))]);
    const serving = both.filter((started) => 'listening' in started.outcome);
    const refused = both.filter((started) => !('listening' in started.outcome));
    expect(serving, both.map((started) => started.log).join('\n')).to.have.length(1);
    expect(refused[0]!.outcome).to.deep.equal({ exited: 1 });
    expect(refused[0]!.log).to.match(/the data folder .* is in use by another process \(pid \d+: node .*main\.js\), which runs its MariaDB; stop that process first/);
    expect(refused[0]!.log, 'no stack trace').not.to.match(/\\n\s+at /);
    expect(processesOnDataDir(dataDir).mariadbs).to.have.length(1);

    // An operator's script while the service runs: it uses that MariaDB and leaves it running.
    const { stdout } = await run(process.execPath, [keysJs, 'list'], { env: { ...process.env, ...managed(dataDir) } });
    expect(stdout).to.match(/default\s+write\s+active/);
    const port = (serving[0]!.outcome as { listening: number }).listening;
    expect((await apiClient(`http://127.0.0.1:${port}`).request('GET', '/readyz')).status).to.equal(200);
    expect(processesOnDataDir(dataDir).mariadbs).to.have.length(1);

    expect(await serving[0]!.stop()).to.equal(0);
    expect(processesOnDataDir(dataDir)).to.deep.equal({ servers: [], mariadbs: [] });
    expect(existsSync(join(dataDir, LOCK_FILE)), 'the lock is released').to.equal(false);
  });

  it('a script started together with the server on a fresh folder waits for it or uses its MariaDB: both succeed, and no MariaDB is left after the server stops', async () => {
    const folder = freshDataDir('ops-script-');
    folders.push(folder);
    const env = managed(folder);
    const [server, script] = await Promise.all([
      startServer({ ...env, BOOTSTRAP_KEY_FILE: join(folder, 'key') }),
      run(process.execPath, [keysJs, 'list'], { env: { ...process.env, ...env, BOOTSTRAP_KEY_FILE: join(folder, 'key') } }).then(
        () => 0,
        (error: { code?: number; stderr?: string }) => `${error.code}: ${error.stderr}`,
      ),
    ]);
    expect(server.outcome, server.log).to.have.property('listening');
    expect(script, String(script)).to.equal(0);
    expect(processesOnDataDir(folder).mariadbs).to.have.length(1);
    expect(await server.stop()).to.equal(0);
    expect(processesOnDataDir(folder)).to.deep.equal({ servers: [], mariadbs: [] });
  });

  it('SIGTERM to `npm start`: a new connection is refused at once, a request in flight gets its normal answer, then nothing is left running', async () => {
    // A lock left by a process that is gone (here: a live pid, but not the process that wrote it).
    writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid: process.pid, started: '1', role: 'service', command: 'gone', token: 'x' }));
    const server = await spawnServerProcess(managed(dataDir), ['npm', 'start']);
    try {
      const token = readFileSync(keyFile, 'utf8').trim();
      const { port } = new URL(server.baseUrl);
      const body = JSON.stringify({ turn: 1, text: 'x'.repeat(10_000) });
      // Expect: 100-continue: the server answers "continue" once it has taken the request in,
      // so the request is provably in flight before the signal.
      const inFlight = request({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: '/v1/sessions/in-flight/state',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
      });
      const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
        inFlight.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode!, body: text }));
        });
        inFlight.on('error', reject);
      });
      await new Promise<void>((resolve) => inFlight.once('continue', resolve));
      inFlight.write(body.slice(0, 5000));

      server.child.kill('SIGTERM'); // to npm, as a supervisor does
      await waitFor(() => refusesConnections(Number(port)), { what: 'the server to refuse new connections', timeout: 5000 });

      inFlight.end(body.slice(5000));
      const { status, body: text } = await answer;
      expect(status, text).to.equal(201);
      expect(JSON.parse(text)).to.include({ session_id: 'in-flight', version: 1, changed: true });

      await waitFor(() => server.child.exitCode !== null || server.child.signalCode !== null, { what: '`npm start` to exit after SIGTERM', timeout: 30_000 });
      expect(await server.exited).to.equal(0);
      expect(processesOnDataDir(dataDir)).to.deep.equal({ servers: [], mariadbs: [] });
      expect(server.log()).to.match(/"message":"stopped the local MariaDB"/);

      // The save was stored, and the folder starts again (the script owns it while it runs).
      const replay = await run(process.execPath, [join(projectRoot, 'dist/scripts/replay.js'), 'in-flight', '--verify'], { env: { ...process.env, ...managed(dataDir) } });
      expect(replay.stderr).to.match(/verified: 1 version/);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('SIGINT to `npm start` (Ctrl-C) runs the same graceful stop: the server exits 0 and nothing is left running', async () => {
    const server = await spawnServerProcess(managed(dataDir), ['npm', 'start']);
    try {
      // npm's child is the server itself (the script ends in `exec node …`), not a shell that would die and leave it.
      const [serverPid] = processesOnDataDir(dataDir).servers;
      expect(serverPid, server.log()).to.be.a('number');
      const parentPid = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1];
      expect(parentPid).to.equal(String(server.child.pid));
      server.child.kill('SIGINT');
      await waitFor(() => server.child.exitCode !== null || server.child.signalCode !== null, { what: '`npm start` to exit after SIGINT', timeout: 30_000 });
      expect(await server.exited).to.equal(0);
      expect(server.log()).to.match(/"message":"stopping: finishing requests in flight","signal":"SIGINT"/);
      expect(server.log()).to.match(/"message":"stopped"/);
      expect(processesOnDataDir(dataDir)).to.deep.equal({ servers: [], mariadbs: [] });
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('a server killed with SIGKILL leaves its MariaDB: the next start takes it over and stops it at SIGTERM', async () => {
    const first = await spawnServerProcess(managed(dataDir));
    const [mariadb] = processesOnDataDir(dataDir).mariadbs;
    await first.stop('SIGKILL');
    expect(processesOnDataDir(dataDir).mariadbs).to.deep.equal([mariadb]);

    const second = await spawnServerProcess(managed(dataDir));
    expect(second.log()).to.match(/taking over the local MariaDB left running/);
    expect(processesOnDataDir(dataDir).mariadbs).to.deep.equal([mariadb]);
    expect(await second.stop()).to.equal(0);
    expect(processesOnDataDir(dataDir)).to.deep.equal({ servers: [], mariadbs: [] });
  });

  it('the data folder taken away under a running server: /readyz and writes answer 503 with a fixed text, reads answer, and it recovers when the folder is back; removed, the server still stops its MariaDB', async () => {
    const server = await spawnServerProcess(managed(dataDir));
    const api = apiClient(server.baseUrl, readFileSync(keyFile, 'utf8').trim());
    const save = (n: number) =>
      fetch(`${server.baseUrl}/v1/sessions/away/state`, { method: 'PUT', headers: { authorization: `Bearer ${readFileSync(keyFile, 'utf8').trim()}`, 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
    try {
      expect((await save(1)).status).to.equal(201);

      renameSync(dataDir, `${dataDir}-away`);
      const ready = await api.request('GET', '/readyz');
      expect(ready.status).to.equal(503);
      expect(ready.body.detail).to.equal(STORAGE_UNAVAILABLE.missing);
      const refused = await save(2);
      expect(refused.status).to.equal(503);
      expect(((await refused.json()) as { detail: string }).detail).to.equal(STORAGE_UNAVAILABLE.missing);
      expect((await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'away' } })).body).to.deep.equal({ n: 1 });
      expect(server.log(), 'the path goes to the log').to.include(`${dataDir}/mariadb does not exist`);

      renameSync(`${dataDir}-away`, dataDir);
      expect((await api.request('GET', '/readyz')).status).to.equal(200);
      expect((await save(3)).status).to.equal(201);

      // Removed for good: still refused, the process stays up, and SIGTERM still stops its MariaDB (by pid: the socket is gone).
      rmSync(dataDir, { recursive: true, force: true });
      expect((await api.request('GET', '/readyz')).status).to.equal(503);
      expect((await save(4)).status).to.equal(503);
      expect(server.child.exitCode).to.equal(null);
      expect(await server.stop()).to.equal(0);
      expect(processesOnDataDir(dataDir)).to.deep.equal({ servers: [], mariadbs: [] });
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('a full disk under the managed MariaDB: /readyz and writes answer 503, reads answer, and it recovers once space is freed', async function () {
    const folder = freshDataDir('ops-full-');
    folders.push(folder);
    // A small filesystem of its own (root only): a tmpfs holds a fresh MariaDB (~130 MB) with room to fill.
    if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m', 'tmpfs', folder]).status !== 0) this.skip();
    let server: ServerProcess | undefined;
    try {
      const env = { ...managed(folder), BOOTSTRAP_KEY_FILE: join(tmpdir(), `session-store-ops-full-key-${process.pid}`) };
      server = await spawnServerProcess(env);
      const token = readFileSync(env.BOOTSTRAP_KEY_FILE, 'utf8').trim();
      rmSync(env.BOOTSTRAP_KEY_FILE);
      const api = apiClient(server.baseUrl, token);
      const save = (n: number) => fetch(`${server!.baseUrl}/v1/sessions/full/state`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ n }) });
      expect((await save(1)).status).to.equal(201);

      // Fill the filesystem to the last byte.
      const filler = join(folder, 'filler');
      spawnSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M'], { stdio: 'ignore' });
      const ready = await api.request('GET', '/readyz');
      expect(ready.status).to.equal(503);
      expect(ready.body.detail).to.equal(STORAGE_UNAVAILABLE.full);
      const refused = await save(2);
      expect(refused.status).to.equal(503);
      expect(((await refused.json()) as { detail: string }).detail).to.equal(STORAGE_UNAVAILABLE.full);
      expect((await api.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'full' } })).body).to.deep.equal({ n: 1 });
      expect(server.child.exitCode).to.equal(null);

      rmSync(filler);
      expect((await api.request('GET', '/readyz')).status).to.equal(200);
      expect((await save(3)).status).to.equal(201);
      expect(await server.stop()).to.equal(0);
    } finally {
      await server?.stop('SIGKILL');
      await killProcessesOnDataDir(folder);
      spawnSync('umount', [folder]);
    }
  });
});

describe("the managed MariaDB's stop()", function () {
  this.timeout(120_000);
  let folder: string;
  before(() => {
    folder = freshDataDir('ops-stop-');
  });
  after(async () => {
    await killProcessesOnDataDir(folder);
    rmSync(folder, { recursive: true, force: true });
  });

  const serverPid = (): number => Number(readFileSync(join(folder, 'run', 'mariadb.pid'), 'utf8'));
  const gone = (pid: number) => () => !processesOnDataDir(folder).mariadbs.includes(pid);

  it('after the server died, its pid file left behind, stop() resolves; a pid file naming another process: that process is not signalled', async () => {
    let local = await startLocalMariadb({ dataDir: folder, autoInstall: false, logger: silentLogger });
    const dead = serverPid();
    process.kill(dead, 'SIGKILL');
    await waitFor(gone(dead), { what: 'the killed MariaDB to be gone' });
    await local.stop();

    local = await startLocalMariadb({ dataDir: folder, autoInstall: false, logger: silentLogger });
    const killed = serverPid();
    process.kill(killed, 'SIGKILL');
    await waitFor(gone(killed), { what: 'the killed MariaDB to be gone' });
    const bystander = spawn('sleep', ['60'], { stdio: 'ignore' });
    const endedBy = new Promise<NodeJS.Signals | null>((resolve) => bystander.once('exit', (_code, signal) => resolve(signal)));
    try {
      writeFileSync(join(folder, 'run', 'mariadb.pid'), String(bystander.pid));
      await local.stop();
      // stop() signals from this process before it resolves. A signal it sent would already have
      // ended the bystander (Linux drops later signals to a dying process), so the bystander ends
      // by this marker only if stop() sent it nothing.
      bystander.kill('SIGUSR2');
      expect(await endedBy, 'the bystander is not signalled').to.equal('SIGUSR2');
    } finally {
      bystander.kill('SIGKILL');
    }
  });

  it('a server that does not stop within the timeout: stop() fails saying so, and never logs "stopped"', async () => {
    const lines: string[] = [];
    const logger = { debug() {}, info: (message: string) => void lines.push(message), warn: (message: string) => void lines.push(message), error: (message: string) => void lines.push(message) };
    const local = await startLocalMariadb({ dataDir: folder, autoInstall: false, logger, stopTimeoutMs: 1000 });
    const pid = serverPid();
    process.kill(pid, 'SIGSTOP'); // it can neither answer SHUTDOWN nor act on SIGTERM
    try {
      let failure: Error | undefined;
      await local.stop().catch((error: Error) => (failure = error));
      expect(failure?.message).to.match(new RegExp(`the local MariaDB \\(pid ${pid}\\) did not stop within 1s; it is still running`));
      expect(lines).not.to.include('stopped the local MariaDB');
    } finally {
      process.kill(pid, 'SIGCONT'); // it then acts on the SIGTERM it was sent
    }
    await waitFor(gone(pid), { what: 'the resumed MariaDB to act on its SIGTERM and exit', timeout: 60_000 });
  });
});

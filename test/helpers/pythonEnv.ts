import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { childEnvironment, executableSearchPath } from '../../src/config.js';
import { isExecutable } from '../../src/db/localMariadb.js';
import { projectRoot } from '../../src/paths.js';

/**
 * Python virtual environments owned by the project, for the tests of clients/python.
 *
 * A named environment is defined by one pinned requirements file,
 * clients/python/requirements/<name>.txt, which pip reads from clients/python: it names this
 * package (`-e .[extras]`, or `.` for a plain install) and pins every other package to an exact
 * version. The environment lives in clients/python/.venv-<name> (git-ignored).
 *
 *     const python = await pythonEnv('streamlit'); // the venv's python, ready to run
 *     const { code, output } = await runPython(python, ['-m', 'unittest', '-v', 'tests.test_x'], { env: {...} });
 *
 * - Built once per mocha run per name (the promise is shared by every test file that asks), and
 *   cheap when already up to date: a stamp file in the venv holds the hash of what it was built
 *   from. A changed requirements file or base Python rebuilds the venv from scratch; a changed
 *   pyproject.toml or package source only re-runs `pip install -r` (seconds).
 * - Environments are separate so that frameworks whose pins conflict never share one.
 * - To add one (a `langgraph` environment, say): declare the extra in clients/python/pyproject.toml,
 *   write clients/python/requirements/langgraph.txt (`-e .[langgraph]` then the output of
 *   `pip freeze --exclude-editable` from a venv where the extra was installed), and call
 *   `await pythonEnv('langgraph')` in the test's before hook, with a timeout for the first install
 *   (this.timeout(PYTHON_ENV_TIMEOUT)).
 * - The base interpreter: PYTHON if set, else Debian's /usr/bin/python3, else python3 on PATH.
 *   As root with apt-get, python3-venv is installed when the base Python cannot make a venv.
 */
export const PYTHON_ENV_TIMEOUT = 900_000;

const PYTHON_DIR = join(projectRoot, 'clients/python');
const STAMP = '.session-store-stamp.json';

const building = new Map<string, Promise<string>>();

export function pythonEnv(name: string): Promise<string> {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new Error(`not an environment name: ${name}`);
  let ready = building.get(name);
  if (!ready) {
    ready = ensureEnvironment(name);
    // A failed build is not cached: the next file that asks tries again and reports its own error.
    ready.catch(() => building.delete(name));
    building.set(name, ready);
  }
  return ready;
}

export function basePython(): string {
  if (process.env.PYTHON) return process.env.PYTHON;
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** The venv's directory for a name (whether or not it exists yet). */
export function pythonEnvDir(name: string): string {
  return join(PYTHON_DIR, `.venv-${name}`);
}

interface Stamp {
  /** The requirements file and the base Python's version: a change rebuilds the venv. */
  environment: string;
  /** pyproject.toml and the package's sources: a change re-runs pip install. */
  package: string;
}

async function ensureEnvironment(name: string): Promise<string> {
  const requirements = join(PYTHON_DIR, 'requirements', `${name}.txt`);
  if (!existsSync(requirements)) throw new Error(`no requirements file for the Python environment ${name}: ${requirements}`);
  const dir = pythonEnvDir(name);
  const python = join(dir, 'bin', 'python');
  const base = basePython();
  const wanted: Stamp = {
    environment: hash([readFileSync(requirements, 'utf8'), pythonVersion(base)]),
    package: hash(packageFiles().map((file) => `${relative(PYTHON_DIR, file)}\0${readFileSync(file, 'utf8')}`)),
  };
  const stamp = readStamp(dir);
  if (stamp?.environment === wanted.environment && stamp.package === wanted.package && isExecutable(python)) return python;

  const started = Date.now();
  if (stamp?.environment !== wanted.environment || !isExecutable(python)) {
    rmSync(dir, { recursive: true, force: true });
    await createVenv(base, dir);
  }
  await run(python, ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-r', requirements], `pip install -r requirements/${name}.txt`);
  writeFileSync(join(dir, STAMP), JSON.stringify(wanted));
  process.stderr.write(`      (Python environment ${name} built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${relative(projectRoot, dir)})\n`);
  return python;
}

async function createVenv(base: string, dir: string): Promise<void> {
  try {
    await run(base, ['-m', 'venv', dir], `${base} -m venv`);
  } catch (error) {
    // Debian splits venv's pip bootstrap (ensurepip) into python3-venv.
    const aptGet = executableSearchPath().map((d) => join(d, 'apt-get')).find(isExecutable);
    if (base !== '/usr/bin/python3' || process.getuid?.() !== 0 || !aptGet) throw error;
    const env = childEnvironment({ DEBIAN_FRONTEND: 'noninteractive' });
    for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'python3-venv']]) {
      const result = spawnSync(aptGet, args, { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (${result.status}): ${result.stderr.slice(-2000)}`);
    }
    rmSync(dir, { recursive: true, force: true });
    await run(base, ['-m', 'venv', dir], `${base} -m venv`);
  }
}

function pythonVersion(base: string): string {
  const result = spawnSync(base, ['-c', 'import sys; print(sys.executable, sys.version)'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`no Python interpreter at ${base} (set PYTHON to one): ${result.stderr ?? result.error}`);
  return result.stdout.trim();
}

/** pyproject.toml and every file of the package (the editable install's metadata, a plain install's content). */
function packageFiles(): string[] {
  const files = [join(PYTHON_DIR, 'pyproject.toml')];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      if (entry === '__pycache__') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (entry.endsWith('.py')) files.push(path);
    }
  };
  walk(join(PYTHON_DIR, 'session_store'));
  return files;
}

function readStamp(dir: string): Stamp | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STAMP), 'utf8')) as Stamp;
  } catch {
    return undefined;
  }
}

function hash(parts: string[]): string {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part).update('\0\0');
  return digest.digest('hex');
}

function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: PYTHON_DIR,
      env: childEnvironment({ PIP_DISABLE_PIP_VERSION_CHECK: '1', PYTHONDONTWRITEBYTECODE: '1' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child.on('error', (error) => reject(new Error(`${what}: ${error.message}`)));
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} failed (${signal ?? code}):\n${output}`))));
  });
}

/** Runs a Python program (in clients/python unless `cwd` says otherwise); resolves with its exit code and all it printed. */
export function runPython(python: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, {
      cwd: options.cwd ?? PYTHON_DIR,
      env: childEnvironment({ PYTHONDONTWRITEBYTECODE: '1', ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

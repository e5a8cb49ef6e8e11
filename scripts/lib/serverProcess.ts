import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { childEnvironment } from '../../src/config.js';
import { projectRoot } from '../../src/paths.js';

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** Everything the process logged so far. */
  log(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * The real server (dist/src/main.js, or `command`, e.g. `npm start`) as a separate process on an
 * ephemeral loopback port; its port is read from its "listening" log line.
 */
export async function spawnServerProcess(env: Record<string, string>, command: string[] = [process.execPath, join(projectRoot, 'dist/src/main.js')]): Promise<ServerProcess> {
  const [file, ...args] = command;
  const child = spawn(file!, args, {
    cwd: projectRoot,
    env: childEnvironment({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      // Never the developer's own first-start key file.
      BOOTSTRAP_KEY_FILE: join(tmpdir(), `session-store-key-${process.pid}-${Date.now()}`),
      ...env,
    }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 60_000);
    child.stderr!.setEncoding('utf8');
    let listening = false;
    child.stderr!.on('data', (chunk: string) => {
      log += chunk;
      // Searched for until found, and then never again: a benchmark's server logs a line per
      // request, and matching the whole log on each chunk made the load generator's CPU grow
      // with the log, stealing a shared core from the server it measures.
      if (listening) return;
      const match = /"message":"listening".*?"port":(\d+)/.exec(log);
      if (match) {
        listening = true;
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) while starting:\n${log}`)));
  });
  return {
    child,
    baseUrl: `http://127.0.0.1:${port}`,
    log: () => log,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

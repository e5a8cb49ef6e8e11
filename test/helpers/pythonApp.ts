import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { childEnvironment } from '../../src/config.js';
import { projectRoot } from '../../src/paths.js';
import { waitFor } from './waitFor.js';

/** Where browser tests keep the screenshots of their final pages (git-ignored). */
export const ARTIFACTS = join(projectRoot, 'test-artifacts');

/** A free loopback port (asked of the kernel, then released for the app to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PythonApp {
  readonly url: string;
  /** Everything the process printed (the last 20,000 characters), for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a Python web app (`streamlit run`, `chainlit run`) and waits until `readyPath` answers
 * 200, failing with the app's output if it exits first or takes longer than `timeout`.
 */
export async function startPythonApp(options: {
  python: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  port: number;
  readyPath: string;
  timeout?: number;
}): Promise<PythonApp> {
  const url = `http://127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(options.python, options.args, {
    cwd: options.cwd,
    env: childEnvironment({ PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1', ...options.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exit;
    clearTimeout(killer);
  };
  try {
    await waitFor(
      async () => {
        if (exited) throw new Error(`${options.args.join(' ')} exited before it was ready:\n${output}`);
        try {
          return (await fetch(url + options.readyPath)).status === 200;
        } catch {
          return false; // not listening yet
        }
      },
      { what: `${options.args.slice(0, 3).join(' ')} to answer on ${url}${options.readyPath}`, timeout: options.timeout ?? 60_000, interval: 200 },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- its output:\n${output}`);
  }
  return { url, output: () => output, stop };
}

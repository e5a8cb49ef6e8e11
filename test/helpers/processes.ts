import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { spawnServerProcess, type ServerProcess as BareServerProcess } from '../../scripts/lib/serverProcess.js';
import { apiClient, type Api } from './api.js';
import { waitFor } from './waitFor.js';

export interface ServerProcess extends BareServerProcess {
  /** A spec-checked client, with the given key. */
  api: Api;
}

/** The real server as a separate process, with a spec-checked client. */
export async function spawnServer(env: Record<string, string>, token?: string): Promise<ServerProcess> {
  const server = await spawnServerProcess(env);
  return { ...server, api: apiClient(server.baseUrl, token) };
}

/** The processes working on a managed data folder: servers (by DATA_DIR in their environment) and MariaDB servers on it. */
export function processesOnDataDir(dataDir: string): { servers: number[]; mariadbs: number[] } {
  const servers: number[] = [];
  const mariadbs: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const args = readProc(pid, 'cmdline')?.split('\0') ?? [];
    if (args.includes(`--datadir=${join(dataDir, 'mariadb')}`)) mariadbs.push(pid);
    else if (basename(args[0] ?? '') === 'node' && readProc(pid, 'environ')?.split('\0').includes(`DATA_DIR=${dataDir}`)) servers.push(pid);
  }
  return { servers, mariadbs };
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
}

/** After a test: nothing it started on this folder keeps running, whatever the outcome. */
export async function killProcessesOnDataDir(dataDir: string): Promise<void> {
  const { servers, mariadbs } = processesOnDataDir(dataDir);
  for (const pid of servers) kill(pid, 'SIGKILL');
  for (const pid of mariadbs) kill(pid, 'SIGKILL');
  await waitFor(() => ![...servers, ...mariadbs].some(isRunning), { what: `the processes on ${dataDir} to end after SIGKILL`, timeout: 5000 });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function isRunning(pid: number): boolean {
  const state = readProc(pid, 'stat');
  return state !== undefined && !/^\d+ \(.*\) Z/.test(state);
}

/** Whether a connection to this loopback port is refused: nothing listens there (any more). */
export function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}

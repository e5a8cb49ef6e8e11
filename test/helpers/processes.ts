import { spawnServerProcess, type ServerProcess as BareServerProcess } from '../../scripts/lib/serverProcess.js';
import { apiClient, type Api } from './api.js';

export interface ServerProcess extends BareServerProcess {
  /** A spec-checked client, with the given key. */
  api: Api;
}

/** The real server as a separate process, with a spec-checked client. */
export async function spawnServer(env: Record<string, string>, token?: string): Promise<ServerProcess> {
  const server = await spawnServerProcess(env);
  return { ...server, api: apiClient(server.baseUrl, token) };
}

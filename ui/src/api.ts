/** The page's client of the /v1 API: every call carries the key in the Authorization header. */

export type Role = 'read' | 'write' | 'admin';

export interface Identity {
  key_id: string;
  tenant: string;
  role: Role;
}

export interface SessionItem {
  session_id: string;
  version: number;
  created_at: string;
  updated_at: string;
  state_bytes: number;
}

export interface HistoryItem {
  version: number;
  created_at: string;
  kind: string;
  ops: number;
  patch_bytes: number;
  state_bytes: number;
  state_hash: string;
  message?: string;
  author?: string;
  restored_from?: number;
  forked_from?: { session_id: string; version: number };
}

export interface WriteAnswer {
  session_id: string;
  version: number;
  changed: boolean;
  kind: string;
}

export interface PatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

/** An answer other than 2xx, with the problem's detail when the server gave one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Api {
  /** The answer as it came, whatever its status (the change feed reads it as a stream). */
  fetch(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** The answer's body as text; a status other than 2xx is thrown as an ApiError. */
  text(method: string, path: string, options?: RequestOptions): Promise<string>;
  json<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
}

export const sessionPath = (sid: string, rest = ''): string => `/v1/sessions/${encodeURIComponent(sid)}${rest}`;

/** `onUnauthorized`: the key was refused (revoked, expired): the page signs out. */
export function createApi(key: string, onUnauthorized: (detail: string) => void): Api {
  async function send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(path, window.location.origin);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { Authorization: `Bearer ${key}`, ...options.headers };
    let body: string | undefined;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['Content-Type'] = 'application/json';
    }
    return window.fetch(url, { method, headers, body, signal: options.signal, cache: 'no-store', credentials: 'omit' });
  }

  async function checked(response: Response): Promise<Response> {
    if (response.ok) return response;
    const detail = await problemDetail(response);
    if (response.status === 401) onUnauthorized(detail);
    throw new ApiError(response.status, detail);
  }

  return {
    fetch: send,
    async text(method, path, options) {
      return (await checked(await send(method, path, options))).text();
    },
    async json<T>(method: string, path: string, options?: RequestOptions) {
      const response = await checked(await send(method, path, options));
      return (response.status === 204 ? undefined : await response.json()) as T;
    },
  };
}

export async function problemDetail(response: Response): Promise<string> {
  try {
    const problem = (await response.json()) as { detail?: unknown; title?: unknown };
    if (typeof problem.detail === 'string') return problem.detail;
    if (typeof problem.title === 'string') return problem.title;
  } catch {
    // not a problem document
  }
  return `the server answered ${response.status} ${response.statusText}`.trim();
}

/** An Idempotency-Key for one write the page makes: a retried click is written once. */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

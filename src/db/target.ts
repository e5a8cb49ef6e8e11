/** How to reach one database on one MariaDB server. */
export interface DatabaseTarget {
  host?: string;
  port?: number;
  socketPath?: string;
  user: string;
  password: string;
  database: string;
}

/**
 * Parses `mysql://user:pass@host:port/db`; `?socket=/path/to.sock` connects over a Unix socket
 * instead of TCP (the managed local server listens on a socket only).
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a URL; expected mysql://user:pass@host:port/database');
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new Error(`DATABASE_URL must start with mysql:// or mariadb://, not ${parsed.protocol}//`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new Error('DATABASE_URL names no database: add /<database> after the host');
  const socketPath = parsed.searchParams.get('socket') ?? undefined;
  return {
    ...(socketPath ? { socketPath } : { host: parsed.hostname || 'localhost', port: Number(parsed.port || 3306) }),
    user: decodeURIComponent(parsed.username || 'root'),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

export function formatDatabaseUrl(target: DatabaseTarget): string {
  const auth = `${encodeURIComponent(target.user)}${target.password ? `:${encodeURIComponent(target.password)}` : ''}`;
  if (target.socketPath) {
    return `mysql://${auth}@localhost/${encodeURIComponent(target.database)}?socket=${encodeURIComponent(target.socketPath)}`;
  }
  return `mysql://${auth}@${target.host ?? 'localhost'}:${target.port ?? 3306}/${encodeURIComponent(target.database)}`;
}

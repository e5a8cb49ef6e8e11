import { createServer, type Server } from 'node:http';
import type { App } from './app.js';

/**
 * The HTTP server of an app, as the service runs it (src/main.ts) and as the tests and the
 * benchmark do. Idle keep-alive connections are kept 65 s, longer than the usual balancer's and
 * client's idle timeouts (60 s and 4 s), so the server is never the side that closes a connection
 * a client is just reusing (that race answers the client's request with ECONNRESET).
 */
export function createHttpServer(app: App): Server {
  const server = createServer(app.koa.callback());
  server.keepAliveTimeout = 65_000;
  return server;
}

import { createServer, type Server } from 'node:http';
import type { Logger } from '../log.js';
import { registry } from './metrics.js';

/**
 * GET /metrics (Prometheus text format) on a listener of its own, apart from the API: it needs no
 * key, so it is protected by where it listens (METRICS_HOST, loopback by default), and a scrape
 * never queues behind API traffic or counts in its figures. Any other path is a 404, any other
 * method a 405.
 */
export async function startMetricsServer(port: number, host: string, logger: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('/metrics takes GET and HEAD\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        response.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        logger.error('could not collect the metrics', { error });
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end('could not collect the metrics; the error is logged\n');
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

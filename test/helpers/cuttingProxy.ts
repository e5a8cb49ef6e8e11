import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DatabaseTarget } from '../../src/db/target.js';

/**
 * A COM_QUERY packet ending in `COMMIT`: alone (3-byte length 7, sequence 0, command 0x03, the
 * text), or as the last of several statements sent together (src/db/batch.ts).
 */
function endsInCommit(chunk: Buffer): boolean {
  return chunk.length >= 11 && chunk[3] === 0 && chunk[4] === 3 && chunk.subarray(chunk.length - 6).toString('latin1') === 'COMMIT';
}

export interface CuttingProxy {
  /** The database through the proxy (TCP on loopback). */
  target: DatabaseTarget;
  /**
   * The next COMMIT goes through to MariaDB, which commits it; its answer never comes back: the
   * client's connection is cut instead, as when a network or a server dies at that moment.
   */
  cutNextCommitAnswer(): void;
  /** How many COMMIT answers have been cut so far. */
  cuts: number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the real MariaDB that can lose the answer to a COMMIT: the only way to
 * put a real write in the state "committed, but the client cannot know".
 */
export async function startCuttingProxy(upstream: DatabaseTarget): Promise<CuttingProxy> {
  let armed = false;
  const sockets = new Set<Socket>();
  const proxy: CuttingProxy = {
    target: { user: upstream.user, password: upstream.password, database: upstream.database, host: '127.0.0.1', port: 0 },
    cutNextCommitAnswer() {
      armed = true;
    },
    cuts: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((client) => {
    const database = upstream.socketPath ? connect(upstream.socketPath) : connect(upstream.port ?? 3306, upstream.host ?? 'localhost');
    sockets.add(client).add(database);
    let cutting = false;
    let cutTimer: NodeJS.Timeout | undefined;
    client.on('data', (chunk) => {
      if (armed && endsInCommit(chunk)) {
        armed = false;
        cutting = true;
      }
      database.write(chunk);
    });
    database.on('data', (chunk) => {
      if (!cutting) {
        client.write(chunk);
        return;
      }
      // MariaDB is answering the batch that ends in COMMIT; the client never hears it. The
      // connection is cut a moment later, once the COMMIT (the batch's last statement) has run.
      if (cutTimer) return;
      proxy.cuts++;
      cutTimer = setTimeout(() => {
        client.destroy();
        database.destroy();
      }, 200);
    });
    const close = () => {
      client.destroy();
      database.destroy();
    };
    client.on('close', close).on('error', close);
    database.on('close', close).on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.target.port = (server.address() as AddressInfo).port;
  return proxy;
}

import { selectRows, type Queryable } from '../db/pool.js';

/** The server's max_allowed_packet, in bytes: the largest statement (and so state) it accepts. */
export async function readMaxAllowedPacket(db: Queryable): Promise<number> {
  const [row] = await selectRows<{ bytes: number }>(db, 'SELECT @@max_allowed_packet AS bytes', []);
  return Number(row!.bytes);
}

import { Readable } from 'node:stream';
import { formatInstant } from '../core/time.js';
import { chainHash, GENESIS_HASH } from '../core/chain.js';
import type { Connection, Pool } from '../db/pool.js';
import { historyItem } from '../http/responses.js';
import { requireLive } from '../sessions/liveSession.js';
import { decodeJson } from '../store/codec.js';
import { readCheckpointRange } from '../store/readCheckpointRange.js';
import { readEventRange } from '../store/readEventRange.js';
import { readSessionHead } from '../store/readSessionHead.js';
import { readSessionBase } from '../store/sessionBase.js';
import { selectRows } from '../db/pool.js';
import { dbInstant } from '../core/time.js';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION, type ExportHeader } from './format.js';

export interface SessionExport {
  header: ExportHeader;
  /** The file's lines, each ending in "\n", header first; the snapshot's connection is released when they end or the iteration is stopped. */
  lines: AsyncGenerator<string, void, undefined>;
  /** Ends the snapshot and releases its connection (again: nothing), for an export never read. */
  close(): Promise<void>;
}

/** Versions read per query: a page of events and the checkpoints among them. */
const PAGE = 200;
/** Lines are sent in chunks of about this many characters (or one line, when it is longer). */
const CHUNK_CHARS = 64 * 1024;

/**
 * Opens an export of one session: everything is read from one consistent snapshot (a REPEATABLE
 * READ transaction started WITH CONSISTENT SNAPSHOT on a connection of its own), so versions saved
 * meanwhile are not in it and a compaction meanwhile does not change it. The session is checked
 * (404, 410) before anything is sent. Memory is one page of versions, whatever the history's
 * length; the caller must run or `return()` the lines, which releases the connection.
 */
export async function openExport(pool: Pool, tenant: string, sessionId: string): Promise<SessionExport> {
  const connection = await pool.getConnection();
  let handedOver = false;
  try {
    await connection.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await connection.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const head = requireLive(await readSessionHead(connection, tenant, sessionId), sessionId);
    const base = await readSessionBase(connection, tenant, sessionId);
    const [clock] = await selectRows<{ now: string }>(connection, 'SELECT UTC_TIMESTAMP(6) AS now', []);
    const header: ExportHeader = {
      format: EXPORT_FORMAT,
      format_version: EXPORT_FORMAT_VERSION,
      tenant,
      session_id: sessionId,
      created_at: formatInstant(head.createdAt),
      first_version: base?.baseVersion ?? 1,
      head_version: head.headVersion,
      base_chain_hash: (base?.baseChainHash ?? GENESIS_HASH).toString('hex'),
      head_state_hash: head.headStateHash.toString('hex'),
      head_chain_hash: head.headChainHash.toString('hex'),
      exported_at: formatInstant(dbInstant(clock!.now)),
    };
    handedOver = true;
    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => (closed ??= finish(connection));
    return { header, lines: exportLines(connection, header, close), close };
  } finally {
    if (!handedOver) await finish(connection);
  }
}

async function finish(connection: Connection): Promise<void> {
  try {
    await connection.query('ROLLBACK');
    connection.release();
  } catch {
    connection.destroy();
  }
}

/**
 * The export as a byte stream for an HTTP answer. Destroyed early (the client went away, or the
 * answer was replaced by an error), it stops the lines after the page being read and releases
 * the snapshot, even when no line was ever read.
 */
export function exportStream(exported: SessionExport): Readable {
  return new Readable({
    async read() {
      try {
        const next = await exported.lines.next();
        this.push(next.done ? null : next.value);
      } catch (error) {
        this.destroy(error as Error);
      }
    },
    destroy(error, callback) {
      exported.lines
        .return(undefined)
        .then(() => exported.close())
        .then(() => callback(error), callback);
    },
  });
}

async function* exportLines(connection: Connection, header: ExportHeader, close: () => Promise<void>): AsyncGenerator<string, void, undefined> {
  try {
    yield `${JSON.stringify(header)}\n`;
    const { tenant, session_id: sessionId } = header;
    for (let from = header.first_version; from <= header.head_version; from += PAGE) {
      const to = Math.min(from + PAGE - 1, header.head_version);
      const events = await readEventRange(connection, tenant, sessionId, from, to);
      const states = new Map((await readCheckpointRange(connection, tenant, sessionId, from, to)).map((c) => [c.version, c]));
      let chunk = '';
      for (const event of events) {
        // Each line carries both links of the chain, the one before and its own, so that an edit of
        // its time, kind or state hash is found at that line, not only at the next.
        const link = chainHash(event.prevHash, event).toString('hex');
        const metadata = JSON.stringify({ ...historyItem(event), prev_hash: event.prevHash.toString('hex'), chain_hash: link });
        // Patches and states are spliced in as the JSON text they are stored as: never parsed here.
        const patch = event.patch ? await decodeJson(event.patch) : 'null';
        const checkpoint = states.get(event.version);
        const state = checkpoint ? `,"state":${await decodeJson(checkpoint)}` : '';
        chunk += `${metadata.slice(0, -1)},"patch":${patch}${state}}\n`;
        if (chunk.length >= CHUNK_CHARS) {
          yield chunk;
          chunk = '';
        }
      }
      if (chunk) yield chunk;
    }
  } finally {
    await close();
  }
}

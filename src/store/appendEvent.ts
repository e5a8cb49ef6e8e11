import type { Statement } from '../db/batch.js';
import { execute, type Queryable } from '../db/pool.js';
import type { EncodedBody } from './codec.js';
import type { EventFigures, Labels } from './eventMetadata.js';

export interface NewEvent extends EventFigures {
  tenant: string;
  sessionId: string;
  /** Encoded patch, or undefined when this version is stored whole as a checkpoint. */
  patch: EncodedBody | undefined;
  message: string | undefined;
  author: string | undefined;
  sourceSessionId: string | undefined;
  sourceVersion: number | undefined;
  labels: Labels | undefined;
}

/** Appends one event; the primary key (tenant, session, version) refuses a second writer of a version. */
export async function appendEvent(db: Queryable, event: NewEvent): Promise<void> {
  const { sql, values } = appendEventStatement(event);
  await execute(db, sql, values);
}

/** appendEvent as a statement, to be sent with others (src/db/batch.ts). */
export function appendEventStatement(event: NewEvent): Statement {
  return {
    sql: `INSERT INTO events (tenant, session_id, version, kind, patch, patch_encoding, ops, patch_bytes, state_bytes,
       state_hash, prev_hash, created_at, message, author, source_session_id, source_version, labels)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    values: [
      event.tenant, event.sessionId, event.version, event.kind,
      event.patch?.body ?? null, event.patch?.encoding ?? 0,
      event.ops, event.patchBytes, event.stateBytes, event.stateHash, event.prevHash, event.createdAt,
      event.message ?? null, event.author ?? null, event.sourceSessionId ?? null, event.sourceVersion ?? null,
      event.labels === undefined ? null : JSON.stringify(event.labels),
    ],
  };
}

import type { Operation } from 'fast-json-patch';
import { chainHash } from '../core/chain.js';
import { checkLabels } from '../core/labels.js';
import type { CheckpointPolicy } from '../core/checkpointPolicy.js';
import { digestState, isJsonObject, type Json, type JsonObject } from '../core/json.js';
import { applyPatch } from '../core/jsonPatch.js';
import type { StateLimits } from '../core/stateTasks.js';
import { parseJsonDocument } from '../core/stateTasks.js';
import { formatInstant, parseInstant } from '../core/time.js';
import { isDuplicateKey } from '../db/errors.js';
import type { Connection, Pool } from '../db/pool.js';
import { ConflictError, UnprocessableError } from '../errors.js';
import { sessionExists } from '../sessions/liveSession.js';
import { encodeJson } from '../store/codec.js';
import type { NewEvent } from '../store/appendEvent.js';
import type { EventKind } from '../store/eventMetadata.js';
import { completeImportedHead, insertCheckpoints, insertEvents } from '../store/insertImportedRows.js';
import { insertSessionHead } from '../store/insertSessionHead.js';
import { writeSessionBase } from '../store/sessionBase.js';
import type { NewCheckpoint } from '../store/writeCheckpoint.js';
import { EXPORT_FORMAT, EXPORT_FORMAT_VERSION } from './format.js';
import { splitLines } from './lines.js';

export interface ImportOptions {
  /** The store's checkpoint policy: a checkpoint at least every maxEventsBetween versions, whatever the file has. */
  policy: CheckpointPolicy;
  /** What a state may be (BODY_LIMIT_BYTES, MAX_JSON_DEPTH): a file cannot bring in what a save could not. */
  limits: StateLimits;
}

export interface ImportResult {
  sessionId: string;
  firstVersion: number;
  headVersion: number;
  versions: number;
  checkpoints: number;
}

/** A line of the file that is not what it must be: 422, naming the line (from 1) and what disagrees. */
export class ImportLineError extends UnprocessableError {
  constructor(line: number, detail: string) {
    super(`line ${line} of the file: ${detail}; nothing was imported`, { line });
  }
}

const HASH = /^[0-9a-f]{64}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const KINDS: readonly string[] = ['save', 'patch', 'restore', 'fork'];
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
/** Rows buffered before one multi-row INSERT, and the bytes that flush them sooner. */
const BATCH_ROWS = 200;
const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Recreates a session from an export (src/exchange/format.ts) under `sessionId` in `tenant`, in
 * one transaction on a connection of its own, reading the file as it streams: each line is
 * checked (patch applied to the state before it, state against its hash and size, full state
 * against the replayed one, prev_hash against the chain, versions contiguous, times never
 * decreasing), then buffered into batched INSERTs. The first bad line rolls everything back
 * (ImportLineError, 422); so does a file that ends before its header's head version or whose
 * chain does not end at the header's head_chain_hash. Memory: the current state and one batch.
 * The head row is inserted first, so a session id that exists is refused at once (409) and a
 * concurrent save of the same id waits for the import.
 */
export async function importSession(
  pool: Pool,
  tenant: string,
  sessionId: string,
  input: AsyncIterable<Buffer>,
  options: ImportOptions,
): Promise<ImportResult> {
  const maxLineBytes = 2 * options.limits.maxBytes + 1024 * 1024;
  const connection = await pool.getConnection();
  let committed = false;
  try {
    await connection.query('SET TRANSACTION ISOLATION LEVEL READ COMMITTED');
    await connection.query('START TRANSACTION');
    const result = await importLines(connection, tenant, sessionId, splitLines(input, maxLineBytes), options);
    await connection.query('COMMIT');
    committed = true;
    return result;
  } finally {
    if (!committed) await connection.query('ROLLBACK').catch(() => connection.destroy());
    connection.release();
  }
}

interface Header {
  firstVersion: number;
  headVersion: number;
  baseChainHash: Buffer;
  headChainHash: Buffer;
  headStateHash: Buffer;
  createdAt: string;
}

async function importLines(
  connection: Connection,
  tenant: string,
  sessionId: string,
  lines: AsyncGenerator<Buffer, void, undefined>,
  options: ImportOptions,
): Promise<ImportResult> {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let lineNumber = 0;
  const parse = (bytes: Buffer, depth: number): JsonObject => {
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      throw new ImportLineError(lineNumber, 'it is not UTF-8');
    }
    const parsed = parseJsonDocument(text, depth);
    if (!parsed.ok) throw new ImportLineError(lineNumber, parsed.problem.detail.replace('the request body', 'the line'));
    if (!isJsonObject(parsed.value)) throw new ImportLineError(lineNumber, 'it is not a JSON object');
    return parsed.value;
  };

  const first = await lines.next();
  lineNumber = 1;
  if (first.done) throw new ImportLineError(1, 'the file is empty; it must start with the header line of an export');
  const header = readHeader(parse(first.value, 8));
  try {
    await insertSessionHead(connection, {
      tenant,
      sessionId,
      headVersion: header.headVersion,
      headStateHash: header.headStateHash,
      headChainHash: header.headChainHash,
      headStateBytes: 0,
      checkpointVersion: header.firstVersion,
      patchBytesSinceCheckpoint: 0,
      updatedAt: header.createdAt,
    });
  } catch (error) {
    if (isDuplicateKey(error)) throw new ConflictError(sessionExists(sessionId));
    throw error;
  }

  let state: Json = null;
  let stateBytes = 0;
  let stateHash: Buffer = Buffer.alloc(32);
  let chain = header.baseChainHash;
  let previousTime = '';
  let lastCheckpoint = header.firstVersion;
  let patchBytesSinceCheckpoint = 0;
  let checkpoints = 0;
  let events: NewEvent[] = [];
  let stored: NewCheckpoint[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    await insertEvents(connection, events);
    await insertCheckpoints(connection, stored);
    events = [];
    stored = [];
    batchBytes = 0;
  };

  let version = header.firstVersion - 1;
  for await (const bytes of lines) {
    lineNumber++;
    if (bytes.length === 0) throw new ImportLineError(lineNumber, 'it is empty');
    version++;
    if (version > header.headVersion) throw new ImportLineError(lineNumber, `the header says the last version is ${header.headVersion}, but the file goes on`);
    const line = parse(bytes, options.limits.maxDepth + 4);
    const fail = (detail: string): never => {
      throw new ImportLineError(lineNumber, `version ${version}: ${detail}`);
    };
    if (line.version !== version) fail(`"version" must be ${version} (versions follow each other from first_version), not ${JSON.stringify(line.version)}`);
    const kind = line.kind;
    if (typeof kind !== 'string' || !KINDS.includes(kind)) fail(`"kind" must be one of ${KINDS.join(', ')}`);
    const createdAtText = line.created_at;
    const createdAt = typeof createdAtText === 'string' && INSTANT.test(createdAtText) ? parseInstant(createdAtText) : undefined;
    if (createdAt === undefined || formatInstant(createdAt) !== createdAtText) fail('"created_at" must be an instant as exports write it (2026-01-31T12:00:00.000000Z)');
    if (createdAt! < previousTime) fail('"created_at" is earlier than the version before: times never decrease within a session');
    const figures = ['ops', 'patch_bytes', 'state_bytes'].map((name) => {
      const value = line[name];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 4_294_967_295) fail(`"${name}" must be a whole number`);
      return value as number;
    });
    const hexOf = (name: string): Buffer => {
      const value = line[name];
      if (typeof value !== 'string' || !HASH.test(value)) fail(`"${name}" must be 64 lowercase hexadecimal digits`);
      return Buffer.from(value as string, 'hex');
    };
    const recordedHash = hexOf('state_hash');
    const prevHash = hexOf('prev_hash');
    const link = hexOf('chain_hash');
    const message = optionalText(line, 'message', 1000, fail);
    const author = optionalText(line, 'author', 200, fail);
    // Labels are not links of the chain (as messages are not); they are checked as a write checks them.
    const labels = line.labels === undefined || line.labels === null
      ? undefined
      : checkLabels(line.labels, '"labels"', (detail) => fail(detail));
    let sourceSessionId: string | undefined;
    let sourceVersion: number | undefined;
    if (line.restored_from !== undefined) {
      if (kind !== 'restore' || !isVersion(line.restored_from)) fail('"restored_from" must be a version, on a restore');
      sourceVersion = line.restored_from as number;
    }
    if (line.forked_from !== undefined) {
      const from = line.forked_from;
      if (kind !== 'fork' || !isJsonObject(from) || typeof from.session_id !== 'string' || !SESSION_ID.test(from.session_id) || !isVersion(from.version)) {
        fail('"forked_from" must be {"session_id", "version"}, on a fork');
      }
      sourceSessionId = (from as JsonObject).session_id as string;
      sourceVersion = (from as JsonObject).version as number;
    }

    if (!prevHash.equals(chain)) {
      fail(version === header.firstVersion ? '"prev_hash" is not the header\'s base_chain_hash' : '"prev_hash" does not continue the hash chain of the versions before');
    }
    const patch = line.patch;
    const given = line.state;
    if (patch !== null && !Array.isArray(patch)) fail('"patch" must be an RFC 6902 patch (an array) or null');
    if (version === header.firstVersion && given === undefined) fail('the first version of a file must carry its whole "state"');
    if (patch === null && given === undefined) fail('a version stored whole ("patch": null) must carry its whole "state"');
    if (version > header.firstVersion && patch !== null) {
      try {
        state = applyPatch(state, patch as unknown as Operation[], {
          maxBytes: options.limits.maxBytes,
          maxDepth: options.limits.maxDepth,
          startBytes: stateBytes,
          maxWorkBytes: 4 * options.limits.maxBytes,
        });
      } catch (error) {
        fail(`its "patch" does not apply to version ${version - 1}: ${(error as Error).message}`);
      }
      const replayed = digestState(state);
      if (!replayed.hash.equals(recordedHash)) fail('its "patch" applied to the version before does not give the state of its "state_hash"');
      if (given !== undefined && !digestState(given).hash.equals(recordedHash)) fail('its "state" does not match its "state_hash"');
      stateBytes = replayed.bytes;
    } else {
      // The first version (its patch applied to a version the file does not have), or one stored whole.
      state = given!;
      const digest = digestState(state);
      if (!digest.hash.equals(recordedHash)) fail('its "state" does not match its "state_hash"');
      stateBytes = digest.bytes;
    }
    if (stateBytes !== figures[2]) fail(`"state_bytes" is ${figures[2]}, but the state has ${stateBytes}`);
    if (stateBytes > options.limits.maxBytes) fail(`the state is larger than this server takes (BODY_LIMIT_BYTES, ${options.limits.maxBytes})`);
    stateHash = recordedHash;
    chain = chainHash(chain, { version, kind: kind as string, createdAt: createdAt!, stateHash });
    if (!chain.equals(link)) fail('"chain_hash" is not the link its version, kind, created_at and state_hash make with "prev_hash": the line was edited');
    previousTime = createdAt!;

    // The first version and a version stored whole keep no patch; a checkpoint wherever the file
    // has a state, and at least every maxEventsBetween versions whatever the file has.
    const keepsPatch = version > header.firstVersion && patch !== null;
    const patchText = keepsPatch ? JSON.stringify(patch) : undefined;
    const checkpoint = !keepsPatch || given !== undefined || version - lastCheckpoint >= options.policy.maxEventsBetween;
    const encodedPatch = patchText === undefined ? undefined : await encodeJson(patchText);
    events.push({
      tenant,
      sessionId,
      version,
      kind: kind as EventKind,
      ops: figures[0]!,
      patchBytes: figures[1]!,
      stateBytes,
      stateHash,
      prevHash,
      createdAt: createdAt!,
      patch: encodedPatch,
      message,
      author,
      labels,
      sourceSessionId,
      sourceVersion,
    });
    batchBytes += bytes.length;
    if (checkpoint) {
      stored.push({ tenant, sessionId, version, state: await encodeJson(JSON.stringify(state)) });
      checkpoints++;
      lastCheckpoint = version;
      patchBytesSinceCheckpoint = 0;
    } else {
      patchBytesSinceCheckpoint += figures[1]!;
    }
    if (events.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) await flush();
  }
  if (version < header.headVersion) {
    throw new ImportLineError(lineNumber + 1, `the file ends after version ${version}, but its header says the last version is ${header.headVersion}: it is truncated`);
  }
  if (!chain.equals(header.headChainHash)) throw new ImportLineError(1, 'the chain of the versions does not end at the header\'s head_chain_hash');
  if (!stateHash.equals(header.headStateHash)) throw new ImportLineError(1, 'the last version\'s state_hash is not the header\'s head_state_hash');
  await flush();
  await completeImportedHead(connection, {
    tenant,
    sessionId,
    headVersion: header.headVersion,
    headStateHash: stateHash,
    headChainHash: chain,
    headStateBytes: stateBytes,
    checkpointVersion: lastCheckpoint,
    patchBytesSinceCheckpoint,
    createdAt: header.createdAt,
    updatedAt: previousTime,
  });
  if (header.firstVersion > 1) await writeSessionBase(connection, tenant, sessionId, header.firstVersion, header.baseChainHash);
  return { sessionId, firstVersion: header.firstVersion, headVersion: header.headVersion, versions: header.headVersion - header.firstVersion + 1, checkpoints };
}

function readHeader(line: JsonObject): Header {
  const fail = (detail: string): never => {
    throw new ImportLineError(1, `the header ${detail}`);
  };
  if (line.format !== EXPORT_FORMAT) fail(`must have "format": "${EXPORT_FORMAT}": this is not an export of this service`);
  if (line.format_version !== EXPORT_FORMAT_VERSION) fail(`has "format_version" ${JSON.stringify(line.format_version)}; this server reads version ${EXPORT_FORMAT_VERSION}`);
  if (!isVersion(line.first_version) || !isVersion(line.head_version) || (line.head_version as number) < (line.first_version as number)) {
    fail('must have versions "first_version" ≤ "head_version"');
  }
  const hash = (name: string): Buffer => {
    const value = line[name];
    if (typeof value !== 'string' || !HASH.test(value)) fail(`"${name}" must be 64 lowercase hexadecimal digits`);
    return Buffer.from(value as string, 'hex');
  };
  const createdAtText = line.created_at;
  const createdAt = typeof createdAtText === 'string' && INSTANT.test(createdAtText) ? parseInstant(createdAtText) : undefined;
  if (createdAt === undefined) fail('"created_at" must be an instant as exports write it');
  const baseChainHash = hash('base_chain_hash');
  if (line.first_version === 1 && !baseChainHash.equals(Buffer.alloc(32))) fail('"base_chain_hash" must be zeros when the history starts at version 1');
  return {
    firstVersion: line.first_version as number,
    headVersion: line.head_version as number,
    baseChainHash,
    headChainHash: hash('head_chain_hash'),
    headStateHash: hash('head_state_hash'),
    createdAt: createdAt!,
  };
}

function isVersion(value: Json | undefined): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 4_294_967_295;
}

function optionalText(line: JsonObject, name: string, max: number, fail: (detail: string) => never): string | undefined {
  const value = line[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || [...value].length > max) fail(`"${name}" must be text of at most ${max} characters`);
  return value as string;
}

/**
 * Writes and bytes of a scripted Baileys session kept by useSessionStoreAuthState, against the
 * same session kept by Baileys' useMultiFileAuthState in a folder: the same bot (real Baileys
 * signal code), every key write going to both, in the same order.
 *
 *   npm run bench:baileys [-- --messages 500] [--contacts 25] [--pre-keys 812] [--json]
 *
 * The session: pairing (a creds update), the first connection's pre-key upload (812 keys, as the
 * socket does when the server has none), then contacts open sessions with the bot and send it
 * `--messages` messages in all, round robin; the bot answers each contact's first message once.
 * Run three times: messages read one at a time (as Baileys reads an offline backlog); the
 * contacts' chats read concurrently (live traffic; each chat in order); and that again with the
 * keys through makeCacheableSignalKeyStore, whose lock spans each write. Runs on its own
 * throwaway database on the service's MariaDB (DATABASE_URL, or the managed one), with the
 * service's configuration, over loopback HTTP.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { BufferJSON, INITIAL_PREKEY_COUNT, useMultiFileAuthState, type AuthenticationCreds, type SignalDataSet, type SignalKeyStore } from '@whiskeysockets/baileys';
import { createKey } from '../src/access/keys.js';
import { createClient, useSessionStoreAuthState } from '../src/client/index.js';
import { loadConfig } from '../src/config.js';
import { migrate } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/openDatabase.js';
import { connectionOptions, createPool, selectRows, type Pool } from '../src/db/pool.js';
import { createApp } from '../src/http/app.js';
import { createLogger } from '../src/log.js';
import { projectRoot } from '../src/paths.js';
import { BOT_JID, contactParty, deliver, openSession, signalParty, uploadPreKeys, type SignalParty } from './lib/baileysSession.js';
import { runMain, UsageError } from './lib/cli.js';

const TENANT = 'bench';
const USAGE = 'usage: npm run bench:baileys [-- --messages N] [--contacts N] [--pre-keys N] [--json]';

interface Counts {
  /** Files written (created or rewritten), or HTTP writes (PUT/PATCH). */
  writes: number;
  /** Files unlinked (each delete Baileys asks for), or none over HTTP (a delete is a PATCH). */
  deletes: number;
  /** Bytes of the files' text, or of the request bodies. */
  bytes: number;
  /** Milliseconds spent awaiting them. */
  ms: number;
}

const zero = (): Counts => ({ writes: 0, deletes: 0, bytes: 0, ms: 0 });
const minus = (a: Counts, b: Counts): Counts => ({ writes: a.writes - b.writes, deletes: a.deletes - b.deletes, bytes: a.bytes - b.bytes, ms: a.ms - b.ms });

/** A loopback TCP relay counting the bytes each way: what the store costs on the wire, headers included. */
async function countingRelay(port: number): Promise<{ port: number; up: () => number; down: () => number; close(): Promise<void> }> {
  let up = 0;
  let down = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((inbound) => {
    const outbound = connect(port, '127.0.0.1');
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    inbound.on('data', (chunk) => (up += chunk.length));
    outbound.on('data', (chunk) => (down += chunk.length));
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    up: () => up,
    down: () => down,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy(); // the client's idle keep-alive connections
      }),
  };
}

interface Scenario {
  messages: number;
  contacts: number;
  preKeys: number;
  concurrent: boolean;
  /** The bot's keys through Baileys' makeCacheableSignalKeyStore (else passed as they are, as the README says). */
  cached: boolean;
}

interface Phase {
  files: Counts;
  store: Counts & { wireUp: number; wireDown: number };
}

interface RunResult {
  scenario: Scenario;
  phases: { pairing_and_pre_keys: Phase; messages: Phase; total: Phase };
  files_at_rest: { files: number; bytes: number };
  store_at_rest: { state_bytes: number; versions: number; stored_bytes: { events: number; checkpoints: number; idempotency: number; total: number } };
}

async function runScenario(pool: Pool, baseUrl: string, token: string, scenario: Scenario): Promise<RunResult> {
  const relay = await countingRelay(Number(new URL(baseUrl).port));
  const store = { ...zero(), wireUp: 0, wireDown: 0 };
  const counted: typeof fetch = async (input, init) => {
    if (init?.method && init.method !== 'GET') {
      store.writes++;
      store.bytes += Buffer.byteLength(typeof init.body === 'string' ? init.body : '');
    }
    return fetch(input, init);
  };
  const client = createClient({ baseUrl: `http://127.0.0.1:${relay.port}`, token, fetch: counted });
  const sessionId = `bench-baileys-${randomBytes(4).toString('hex')}`;
  const folder = await mkdtemp(join(tmpdir(), 'bench-baileys-'));
  try {
    const ours = await useSessionStoreAuthState<AuthenticationCreds>(client, sessionId);
    const multiFile = await useMultiFileAuthState(folder);
    const files = zero();

    // One bot, every write to both, timed apart; reads from the store.
    const timed = async (into: Counts, work: () => unknown): Promise<void> => {
      const started = performance.now();
      await work();
      into.ms += performance.now() - started;
    };
    const keys: SignalKeyStore = {
      get: (type, ids) => ours.state.keys.get(type, ids),
      async set(data: SignalDataSet) {
        await timed(store, () => ours.state.keys.set(data));
        for (const byId of Object.values(data)) {
          for (const value of Object.values(byId ?? {})) {
            // What useMultiFileAuthState does per key: the file rewritten whole, or unlinked.
            if (value) {
              files.writes++;
              files.bytes += Buffer.byteLength(JSON.stringify(value, BufferJSON.replacer));
            } else {
              files.deletes++;
            }
          }
        }
        await timed(files, () => multiFile.state.keys.set(data));
      },
    };
    const saveCreds = async (): Promise<void> => {
      await timed(store, () => ours.saveCreds());
      Object.assign(multiFile.state.creds, ours.state.creds);
      files.writes++;
      files.bytes += Buffer.byteLength(JSON.stringify(multiFile.state.creds, BufferJSON.replacer));
      await timed(files, () => multiFile.saveCreds());
    };
    const bot = signalParty(BOT_JID, { creds: ours.state.creds, keys }, { cached: scenario.cached });
    const snapshot = (): Phase => ({ files: { ...files }, store: { ...store, wireUp: relay.up(), wireDown: relay.down() } });
    const phaseBetween = (a: Phase, b: Phase): Phase => ({
      files: minus(b.files, a.files),
      store: { ...minus(b.store, a.store), wireUp: b.store.wireUp - a.store.wireUp, wireDown: b.store.wireDown - a.store.wireDown },
    });

    const start = snapshot();
    // Pairing: the phone scanned the QR code; the socket emits creds.update with the account.
    Object.assign(bot.creds, {
      me: { id: BOT_JID.replace('@', ':12@'), name: 'bench bot', lid: '123456789012345:12@lid' },
      account: { details: randomBytes(60), accountSignatureKey: randomBytes(32), accountSignature: randomBytes(64), deviceSignature: randomBytes(64) },
      signalIdentities: [{ identifier: { name: BOT_JID, deviceId: 12 }, identifierKey: randomBytes(33) }],
      platform: 'android',
      registered: true,
    });
    await saveCreds();
    await uploadPreKeys(bot, scenario.preKeys, saveCreds);
    const afterPreKeys = snapshot();

    const contacts: SignalParty[] = Array.from({ length: scenario.contacts }, (_, i) => contactParty(i));
    const perContact = contacts.map((_, i) => Math.floor(scenario.messages / scenario.contacts) + (i < scenario.messages % scenario.contacts ? 1 : 0));
    const chat = async (i: number, n: number): Promise<void> => {
      const contact = contacts[i]!;
      if (n === 0) await openSession(contact, bot, i + 1);
      await deliver(contact, bot, `message ${n} from contact ${i}`);
      if (n === 0) await deliver(bot, contact, `hello contact ${i}`);
    };
    if (scenario.concurrent) {
      await Promise.all(contacts.map(async (_, i) => {
        for (let n = 0; n < perContact[i]!; n++) await chat(i, n);
      }));
    } else {
      for (let round = 0; round < Math.max(...perContact); round++) {
        for (let i = 0; i < contacts.length; i++) if (round < perContact[i]!) await chat(i, round);
      }
    }
    const end = snapshot();

    const names = await readdir(folder);
    let folderBytes = 0;
    for (const name of names) folderBytes += (await stat(join(folder, name))).size;
    const [head] = await selectRows<{ bytes: number; version: number }>(pool, 'SELECT head_state_bytes AS bytes, head_version AS version FROM sessions WHERE tenant = ? AND session_id = ?', [TENANT, sessionId]);
    const [stored] = await selectRows<{ events: string; checkpoints: string; idempotency: string }>(
      pool,
      `SELECT (SELECT COALESCE(SUM(LENGTH(patch)), 0) FROM events WHERE tenant = ? AND session_id = ?) AS events,
              (SELECT COALESCE(SUM(LENGTH(body)), 0) FROM checkpoints WHERE tenant = ? AND session_id = ?) AS checkpoints,
              (SELECT COALESCE(SUM(LENGTH(response) + LENGTH(idempotency_key) + 32), 0) FROM idempotency_keys WHERE tenant = ? AND session_id = ?) AS idempotency`,
      [TENANT, sessionId, TENANT, sessionId, TENANT, sessionId],
    );
    const storedBytes = { events: Number(stored!.events), checkpoints: Number(stored!.checkpoints), idempotency: Number(stored!.idempotency) };
    await client.delete(sessionId, { purge: true });
    return {
      scenario,
      phases: { pairing_and_pre_keys: phaseBetween(start, afterPreKeys), messages: phaseBetween(afterPreKeys, end), total: phaseBetween(start, end) },
      files_at_rest: { files: names.length, bytes: folderBytes },
      store_at_rest: {
        state_bytes: head!.bytes,
        versions: head!.version,
        stored_bytes: { ...storedBytes, total: storedBytes.events + storedBytes.checkpoints + storedBytes.idempotency },
      },
    };
  } finally {
    await rm(folder, { recursive: true, force: true });
    await relay.close();
  }
}

const n = (value: number): string => Math.round(value).toLocaleString('en-US');
const ratio = (a: number, b: number): string => (b === 0 ? '∞' : `${(a / b).toFixed(1)}×`);

function report(results: RunResult[]): string {
  const lines: string[] = [];
  const first = results[0]!.scenario;
  lines.push(`# Baileys auth state: session store vs useMultiFileAuthState`);
  lines.push('');
  lines.push(`Pairing, ${n(first.preKeys)} pre-keys uploaded, ${first.contacts} contacts opening sessions and sending ${n(first.messages)} messages (the bot answers each contact once).`);
  lines.push('Files: each key Baileys writes is a file rewritten whole (no fsync); store: one PATCH per write, committed before it answers.');
  for (const result of results) {
    const { phases, files_at_rest: files, store_at_rest: store } = result;
    lines.push('');
    const wiring = result.scenario.cached ? 'keys through makeCacheableSignalKeyStore' : 'keys passed as they are';
    lines.push(`## Messages read ${result.scenario.concurrent ? `concurrently (${result.scenario.contacts} chats at once)` : 'one at a time'}, ${wiring}`);
    lines.push('');
    lines.push('| phase | files written | files deleted | file bytes | store writes | request body bytes | wire bytes up / down | writes files/store | bytes files/store (body) |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, phase] of Object.entries(phases)) {
      const fileOps = phase.files.writes + phase.files.deletes;
      lines.push(
        `| ${name.replace(/_/g, ' ')} | ${n(phase.files.writes)} | ${n(phase.files.deletes)} | ${n(phase.files.bytes)} | ${n(phase.store.writes)} | ${n(phase.store.bytes)} | ${n(phase.store.wireUp)} / ${n(phase.store.wireDown)} | ${ratio(fileOps, phase.store.writes)} | ${ratio(phase.files.bytes, phase.store.bytes)} |`,
      );
    }
    lines.push('');
    lines.push(`At rest: folder ${n(files.bytes)} B in ${n(files.files)} files; store state ${n(store.state_bytes)} B, ${n(store.versions)} versions, whole history stored in ${n(store.stored_bytes.total)} B (events ${n(store.stored_bytes.events)}, checkpoints ${n(store.stored_bytes.checkpoints)}, idempotency records ${n(store.stored_bytes.idempotency)}).`);
    lines.push(`Time awaiting writes (summed over the awaits): files ${n(phases.total.files.ms)} ms, store ${n(phases.total.store.ms)} ms (loopback HTTP, MariaDB commit).`);
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '500' },
      contacts: { type: 'string', default: '25' },
      'pre-keys': { type: 'string', default: String(INITIAL_PREKEY_COUNT) },
      json: { type: 'boolean', default: false },
    },
  });
  const count = (name: string, text: string | undefined, min: number): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be a whole number of at least ${min}`);
    return value;
  };
  const contacts = count('contacts', values.contacts, 1);
  const scenario = { messages: count('messages', values.messages, contacts), contacts, preKeys: count('pre-keys', values['pre-keys'], contacts) };

  const config = loadConfig();
  const logger = createLogger('warn');
  const { target: serverTarget, local } = await openDatabase(config.database, logger);
  const admin = await mysql.createConnection({ ...connectionOptions(serverTarget), database: undefined });
  const database = `bench_baileys_${randomBytes(4).toString('hex')}`;
  try {
    await admin.query(`CREATE DATABASE ${mysql.escapeId(database)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    const target = { ...serverTarget, database };
    await migrate(target);
    const pool = createPool(target, 10);
    const app = createApp({ pool, config, logger });
    const server = createHttpServer(app.koa.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { token } = await createKey(pool, { tenant: TENANT, role: 'write' });
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const results = [];
      for (const [concurrent, cached] of [[false, false], [true, false], [true, true]] as const) {
        process.stderr.write(`bench:baileys: messages ${concurrent ? 'concurrently' : 'one at a time'}${cached ? ', makeCacheableSignalKeyStore' : ''}\n`);
        results.push(await runScenario(pool, baseUrl, token, { ...scenario, concurrent, cached }));
      }
      process.stdout.write(values.json ? `${JSON.stringify({ command: 'npm run bench:baileys', baileys: await baileysVersion(), results }, null, 2)}\n` : report(results));
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
      await pool.end();
    }
    return 0;
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${mysql.escapeId(database)}`);
    await admin.end();
    await local?.stop();
  }
}

async function baileysVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(projectRoot, 'node_modules/@whiskeysockets/baileys/package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

runMain('bench:baileys', main, USAGE);

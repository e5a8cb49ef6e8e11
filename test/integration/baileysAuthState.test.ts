import { expect } from 'chai';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  BufferJSON,
  Curve,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  useMultiFileAuthState,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
} from '@whiskeysockets/baileys';
import {
  createClient,
  createKeyValueStore,
  restoreSessionStoreAuthState,
  SessionStoreError,
  toBufferJson,
  useSessionStoreAuthState,
  type SessionStoreClient,
} from '../../src/client/index.js';
import { projectRoot } from '../../src/paths.js';
import { BOT_JID, contactJid, contactParty, deliver, deliverToGroup, openSession, signalParty, silentLogger, uploadPreKeys } from '../../scripts/lib/baileysSession.js';
import { startTestServer, type TestServer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import type { Acknowledged } from '../helpers/baileysBot.js';

/** Every value type Baileys keeps, many keys at once (a first connection's 812 pre-keys among them). */
function everyKeyType(): SignalDataSet {
  const preKeys: Record<string, ReturnType<typeof Curve.generateKeyPair>> = {};
  for (let id = 1; id <= 812; id++) preKeys[id] = Curve.generateKeyPair();
  return {
    'pre-key': preKeys,
    session: { '491511111111.0': randomBytes(1200), '491522222222_1.3': new Uint8Array(randomBytes(700)), '491533333333.0': Buffer.alloc(0) },
    'sender-key': { '120363000000000001@g.us::491511111111::0': randomBytes(400) },
    'sender-key-memory': { '120363000000000001@g.us': { '491511111111:3@s.whatsapp.net': true } },
    'app-state-sync-key': {
      AAAAAJpd: proto.Message.AppStateSyncKeyData.fromObject({ keyData: randomBytes(32), fingerprint: { rawId: 7, currentIndex: 2, deviceIndexes: [0, 3] }, timestamp: 1_720_000_000_000 }),
    },
    'app-state-sync-version': { critical_block: { version: 12, hash: randomBytes(128), indexValueMap: { [randomBytes(32).toString('base64')]: { valueMac: randomBytes(32) } } } },
    'lid-mapping': { '491511111111': '123456789012345', '123456789012345_reverse': '491511111111' },
    'device-list': { '491511111111': ['0', '3', '17'] },
    tctoken: { '491511111111@s.whatsapp.net': { token: randomBytes(24), timestamp: '1720000000' } },
    'identity-key': { '491511111111.0': randomBytes(33) },
  };
}

const idsOf = (data: SignalDataSet): Array<[string, string[]]> => Object.entries(data).map(([type, byId]) => [type, Object.keys(byId ?? {})]);

describe('Baileys auth state on the store (real Baileys, no network)', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let server: TestServer;
  let client: SessionStoreClient;
  const folders: string[] = [];

  before(async () => {
    db = await createTestDatabase();
    server = await startTestServer(db.pool);
    client = createClient({ baseUrl: server.baseUrl, token: server.token });
  });
  after(async () => {
    await server.close();
    await db.drop();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  const newFolder = async (): Promise<string> => {
    const folder = await mkdtemp(join(tmpdir(), 'baileys-auth-'));
    folders.push(folder);
    return folder;
  };
  const versions = async (sid: string): Promise<number> => (await client.history(sid, { limit: 1000 })).items.length;

  it('keeps every key type byte-exact through initAuthCreds, makeCacheableSignalKeyStore and a restart, as useMultiFileAuthState reads them', async () => {
    const data = everyKeyType();
    const folder = await newFolder();
    const ours = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-types');
    const files = await useMultiFileAuthState(folder);
    Object.assign(files.state.creds, ours.state.creds);
    // The shape Baileys expects: this is what makeWASocket({ auth }) is given.
    const auth: AuthenticationState = { creds: ours.state.creds, keys: makeCacheableSignalKeyStore(ours.state.keys, silentLogger) };
    const direct: AuthenticationState = ours.state; // and as it is, as the README passes it
    expect(direct.keys).to.equal(ours.state.keys);
    await Promise.all([ours.saveCreds(), auth.keys.set(data)]);
    await Promise.all([files.saveCreds(), files.state.keys.set(data)]);
    const deletes: SignalDataSet = { 'pre-key': { 1: null, 2: null, 812: null }, session: { '491522222222_1.3': null } };
    await auth.keys.set(deletes);
    await files.state.keys.set(deletes);
    expect(await versions('ba-types'), 'creds and 830 keys in one write, the deletes in a second').to.equal(2);

    const restarted = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-types');
    const reread = await useMultiFileAuthState(folder);
    expect(restarted.state.creds).to.deep.equal(reread.state.creds);
    expect(Buffer.compare(restarted.state.creds.noiseKey.private, ours.state.creds.noiseKey.private)).to.equal(0);
    expect(restarted.state.creds.signedPreKey.signature).to.deep.equal(Buffer.from(ours.state.creds.signedPreKey.signature));
    const keys = makeCacheableSignalKeyStore(restarted.state.keys, silentLogger);
    for (const [type, ids] of idsOf(data)) {
      const got = await keys.get(type as keyof SignalDataSet, ids);
      const expected = await reread.state.keys.get(type as keyof SignalDataSet, ids);
      for (const id of ids) {
        const deleted = (deletes as Record<string, Record<string, null>>)[type]?.[id] === null;
        expect(Object.prototype.hasOwnProperty.call(got, id), `${type} ${id} present`).to.equal(!deleted);
        if (deleted) continue;
        expect(got[id], `${type} ${id}`).to.deep.equal(expected[id]);
        const original = (data as Record<string, Record<string, unknown>>)[type]![id];
        if (original instanceof Uint8Array) expect(Buffer.compare(got[id] as Uint8Array, original), `${type} ${id} bytes`).to.equal(0);
      }
    }
    const [syncKey] = Object.values(await keys.get('app-state-sync-key', ['AAAAAJpd']));
    expect(syncKey).to.be.instanceOf(proto.Message.AppStateSyncKeyData);
    expect(Buffer.compare(syncKey!.keyData!, data['app-state-sync-key']!.AAAAAJpd!.keyData!)).to.equal(0);

    // The stored values are the files' JSON, so a useMultiFileAuthState folder moves in as it is.
    const kv = createKeyValueStore({ client, sessionId: 'ba-moved' });
    await kv.restore();
    const names = await readdir(folder);
    await kv.set(Object.fromEntries(await Promise.all(names.map(async (name) => [name, JSON.parse(await readFile(join(folder, name), 'utf8'))]))));
    const moved = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-moved');
    expect(moved.state.creds).to.deep.equal(reread.state.creds);
    expect(await moved.state.keys.get('pre-key', ['3', '811'])).to.deep.equal(await reread.state.keys.get('pre-key', ['3', '811']));
    expect(JSON.parse(await readFile(join(folder, 'creds.json'), 'utf8'), BufferJSON.reviver)).to.deep.equal(moved.state.creds);
  });

  it('carries a real conversation across a restart: pre-keys, sessions and sender keys as the signal code left them', async () => {
    const ours = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-chat');
    const bot = signalParty(BOT_JID, ours.state);
    await uploadPreKeys(bot, 30, ours.saveCreds);
    const contacts = [0, 1].map((i) => contactParty(i));
    for (const [i, contact] of contacts.entries()) {
      await openSession(contact, bot, i + 1);
      for (let n = 0; n < 3; n++) expect(await deliver(contact, bot, `hi ${n} from ${i}`)).to.equal(`hi ${n} from ${i}`);
    }
    expect(await deliver(bot, contacts[0]!, 'welcome')).to.equal('welcome');
    expect(await deliverToGroup(contacts[1]!, bot, '120363000000000009@g.us', 'hello group')).to.equal('hello group');

    // A new process: nothing cached, everything read from the store.
    const restarted = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-chat');
    const bot2 = signalParty(BOT_JID, restarted.state);
    expect(restarted.state.creds.nextPreKeyId).to.equal(31);
    const used = await restarted.state.keys.get('pre-key', ['1', '2', '3']);
    expect(Object.keys(used), 'the pre-keys the contacts used are gone, absent from the answer').to.deep.equal(['3']);
    for (const [i, contact] of contacts.entries()) expect(await deliver(contact, bot2, `again from ${i}`)).to.equal(`again from ${i}`);
    expect(await deliver(bot2, contacts[1]!, 'reply')).to.equal('reply');
    expect(await deliverToGroup(contacts[1]!, bot2, '120363000000000009@g.us', 'still the group')).to.equal('still the group');
  });

  it('resolves a set only once it is stored, writing concurrent sets together (group commit); debounce stays an option', async () => {
    const ours = await useSessionStoreAuthState(client, 'ba-commit');
    const record = (i: number): Buffer => Buffer.alloc(64, i);
    const stored = async (id: string): Promise<boolean> => {
      const state = (await client.load<Record<string, unknown>>(ours.sessionId))?.state ?? {};
      return Object.prototype.hasOwnProperty.call(state, `session-${id}.json`);
    };
    // 50 sets and a creds save in one go: one write, and each promise resolves with its key stored.
    await Promise.all([
      ours.saveCreds(),
      ...Array.from({ length: 50 }, async (_, i) => {
        await ours.state.keys.set({ session: { [`a${i}.0`]: record(i) } });
        expect(await stored(`a${i}.0`), `a${i} stored when its set resolved`).to.equal(true);
      }),
    ]);
    expect(await versions('ba-commit')).to.equal(1);

    // Sets made while a write is in flight ride together in the next one.
    const first = ours.state.keys.set({ session: { 'b0.0': record(100) } });
    await nextTurn(); // the write carrying b0 has started
    const order: string[] = [];
    void first.then(() => order.push('b0'));
    const later = Array.from({ length: 10 }, (_, i) => ours.state.keys.set({ session: { [`c${i}.0`]: record(i) } }).then(() => order.push(`c${i}`)));
    await Promise.all([first, ...later]);
    expect(order[0]).to.equal('b0');
    expect(await versions('ba-commit')).to.equal(3);
    for (let i = 0; i < 10; i++) expect(await stored(`c${i}.0`)).to.equal(true);

    // The debounced mode, asked for explicitly: set() resolves before anything is written.
    const debounced = await useSessionStoreAuthState(client, 'ba-commit', { durability: 'debounce', debounceMs: 10_000 });
    await debounced.state.keys.set({ session: { 'd0.0': record(1) } });
    expect(await stored('d0.0')).to.equal(false);
    await debounced.flush();
    expect(await stored('d0.0')).to.equal(true);
    expect(() => createKeyValueStore({ client, sessionId: 'x', debounceMs: 100 })).to.throw(/durability: 'debounce'/);
  });

  it('answers missing keys by leaving them out (not present-with-undefined)', async () => {
    const ours = await useSessionStoreAuthState(client, 'ba-missing');
    await ours.state.keys.set({ 'pre-key': { 5: Curve.generateKeyPair() } });
    const got = await ours.state.keys.get('pre-key', ['4', '5', '6']);
    expect(Object.keys(got)).to.deep.equal(['5']);
    expect('4' in got).to.equal(false);
    const kv = createKeyValueStore({ client, sessionId: 'ba-missing' });
    await kv.restore();
    await kv.set({ 'pre-key-5.json': null });
    expect(await kv.get(['pre-key-5.json', 'nothing.json'])).to.deep.equal({});
  });

  it('survives a SIGKILL right after awaited writes: every write the bot saw resolve is stored (a debounced store loses them)', async () => {
    async function runAndKill(sessionId: string, durability: 'commit' | 'debounce'): Promise<Acknowledged[]> {
      const child = fork(join(projectRoot, 'dist/test/helpers/baileysBot.js'), [], {
        env: { ...process.env, BASE_URL: server.baseUrl, TOKEN: server.token, SESSION_ID: sessionId, DURABILITY: durability },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const acknowledged: Acknowledged[] = [];
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      child.on('message', (message: Acknowledged) => {
        acknowledged.push(message);
        if (acknowledged.length === 40) child.kill('SIGKILL'); // mid-stream: more writes are in flight
      });
      expect(await exited, stderr).to.equal('SIGKILL');
      return acknowledged;
    }
    /** The acknowledged keys (and creds) the restarted bot does not find, byte for byte. */
    async function lost(sessionId: string, acknowledged: Acknowledged[]): Promise<string[]> {
      const restarted = await useSessionStoreAuthState<AuthenticationCreds>(client, sessionId);
      const missing: string[] = [];
      for (const { keys = {}, nextPreKeyId } of acknowledged) {
        if (nextPreKeyId !== undefined && restarted.state.creds.nextPreKeyId < nextPreKeyId) missing.push(`creds.nextPreKeyId ${nextPreKeyId}`);
        for (const [type, byId] of Object.entries(keys)) {
          const got = await restarted.state.keys.get(type, Object.keys(byId));
          for (const [id, value] of Object.entries(byId)) {
            if (!Object.prototype.hasOwnProperty.call(got, id)) missing.push(`${type} ${id}`);
            else expect(toBufferJson(got[id]), `${type} ${id}`).to.deep.equal(value);
          }
        }
      }
      return missing;
    }

    const acknowledged = await runAndKill('ba-kill', 'commit');
    expect(acknowledged.length).to.be.at.least(40);
    expect(acknowledged.filter((ack) => ack.nextPreKeyId !== undefined).length, 'pre-key uploads acknowledged').to.be.greaterThan(0);
    expect(await lost('ba-kill', acknowledged)).to.deep.equal([]);

    // The control: the same bot on the debounced store, killed the same way, loses what it was told was set.
    const debounced = await runAndKill('ba-kill-debounced', 'debounce');
    expect((await lost('ba-kill-debounced', debounced)).length).to.be.greaterThan(0);
  });

  it('logs out and pairs again: clear() ends the login, a restart starts a fresh one, with a tombstone or a purge', async () => {
    const paired = async (sid: string): Promise<Awaited<ReturnType<typeof useSessionStoreAuthState<AuthenticationCreds>>>> => {
      const auth = await useSessionStoreAuthState<AuthenticationCreds>(client, sid);
      Object.assign(auth.state.creds, { me: { id: BOT_JID, name: 'bot' }, registered: true });
      await Promise.all([auth.saveCreds(), auth.state.keys.set({ 'pre-key': { 1: Curve.generateKeyPair() } })]);
      return auth;
    };
    const first = await paired('ba-logout');
    const running = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-logout');
    expect(running.state.creds.me?.id).to.equal(BOT_JID);

    await running.clear(); // DisconnectReason.loggedOut
    const gone = await client.load('ba-logout').catch((error: unknown) => error);
    expect((gone as SessionStoreError).status).to.equal(410);
    await running.saveCreds(); // a late creds.update of the old socket: ignored, not a crash
    const late = await first.state.keys.set({ 'pre-key': { 2: Curve.generateKeyPair() } }).then(() => 'stored', (error: unknown) => error);
    expect((late as SessionStoreError).status, 'another process of the old login is told').to.equal(410);
    expect(await client.load('ba-logout.gen-2')).to.equal(undefined);

    // Restart: "no session", a fresh login (new keys, not registered), stored in the next generation.
    const fresh = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-logout');
    expect(fresh.state.creds.registered).to.equal(false);
    expect(fresh.state.creds.me).to.equal(undefined);
    expect(Buffer.compare(fresh.state.creds.noiseKey.public, first.state.creds.noiseKey.public)).to.not.equal(0);
    expect(await fresh.state.keys.get('pre-key', ['1'])).to.deep.equal({});
    Object.assign(fresh.state.creds, { me: { id: BOT_JID, name: 'bot again' }, registered: true });
    await fresh.saveCreds();
    expect(fresh.sessionId).to.equal('ba-logout.gen-2');
    expect((await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-logout')).state.creds.me?.name).to.equal('bot again');

    // A purge frees the id: the next login uses it again.
    await (await useSessionStoreAuthState(client, 'ba-logout')).clear({ purge: true });
    expect(await client.load('ba-logout.gen-2')).to.equal(undefined);
    const third = await paired('ba-logout');
    expect(third.sessionId).to.equal('ba-logout.gen-2');

    // The generic store: restore() of a tombstoned session is "no session", never a crash.
    await client.save('ba-kv-gone', { 'creds.json': {} });
    await client.delete('ba-kv-gone');
    const kv = createKeyValueStore({ client, sessionId: 'ba-kv-gone' });
    await kv.restore();
    expect(kv.version).to.equal(undefined);
    await kv.set({ 'creds.json': { fresh: true } });
    expect(kv.sessionId).to.equal('ba-kv-gone.gen-2');
  });

  it('goes back to the auth state at a version or an instant, and the conversation goes on from there', async () => {
    const ours = await useSessionStoreAuthState<AuthenticationCreds>(client, 'ba-restore');
    const bot = signalParty(BOT_JID, ours.state);
    await uploadPreKeys(bot, 10, ours.saveCreds);
    const contact = contactParty(7);
    await openSession(contact, bot, 1);
    for (let n = 0; n < 3; n++) await deliver(contact, bot, `message ${n}`);
    const good = ours.version!;
    const [goodItem] = (await client.history('ba-restore', { limit: 1 })).items;

    const corrupt = async (): Promise<void> => {
      const running = await useSessionStoreAuthState(client, 'ba-restore');
      // A session that lost its state (after a crash, a bad deploy): the bot cannot read this contact any more.
      await running.state.keys.set({ session: { [`${contactJid(7).split('@')[0]}.0`]: { _sessions: {}, version: 'v1' } } });
      const broken = signalParty(BOT_JID, (await useSessionStoreAuthState(client, 'ba-restore')).state);
      const failure = await deliver(contact, broken, 'lost').catch((error: unknown) => error);
      expect(failure).to.be.instanceOf(Error);
    };

    await corrupt();
    const restored = await restoreSessionStoreAuthState(client, 'ba-restore', { version: good });
    expect(restored).to.include({ kind: 'restore', restored_from: good });
    let again = signalParty(BOT_JID, (await useSessionStoreAuthState(client, 'ba-restore')).state);
    expect(await deliver(contact, again, 'after the restore')).to.equal('after the restore');

    // The same by instant (the one the good version was written at), after another breakage.
    await corrupt();
    await restoreSessionStoreAuthState(client, 'ba-restore', { at: goodItem!.created_at });
    again = signalParty(BOT_JID, (await useSessionStoreAuthState(client, 'ba-restore')).state);
    // Back at `good`: the session as it was before 'after the restore' was read, so the contact's
    // next message (a later one in its chain) still decrypts.
    expect(await deliver(contact, again, 'by instant')).to.equal('by instant');
  });
});

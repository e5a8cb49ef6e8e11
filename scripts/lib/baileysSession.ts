/**
 * A scripted WhatsApp session with real Baileys (its signal protocol, key stores and pre-key
 * code) and no network: the bot uploads pre-keys as the socket does on its first connection,
 * then contacts open sessions with it (pre-key messages), write to it and in groups, exactly as
 * their phones' signal code would. For the tests and `npm run bench:baileys`.
 */
import {
  addTransactionCapability,
  DEFAULT_CONNECTION_CONFIG,
  generateSignalPubKey,
  getNextPreKeys,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  type AuthenticationCreds,
  type SignalKeyStore,
  type SignalKeyStoreWithTransaction,
  type SignalRepositoryWithLIDStore,
} from '@whiskeysockets/baileys';

type Logger = NonNullable<Parameters<typeof makeCacheableSignalKeyStore>[1]>;

export const silentLogger: Logger = {
  level: 'silent',
  child: () => silentLogger,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

export interface AuthLike {
  creds: AuthenticationCreds;
  keys: SignalKeyStore;
}

/** One side of the conversation, wired as makeWASocket wires its auth state. */
export interface SignalParty {
  jid: string;
  creds: AuthenticationCreds;
  keys: SignalKeyStoreWithTransaction;
  repository: SignalRepositoryWithLIDStore;
  /** Runs one of this party's signal operations. */
  run<T>(operation: () => Promise<T>): Promise<T>;
}

/** `cached`: the keys through makeCacheableSignalKeyStore, as Baileys' example bot passes them (default). */
export function signalParty(jid: string, auth: AuthLike, options: { cached?: boolean } = {}): SignalParty {
  // What a bot passes and what the socket adds (transactions).
  const given = options.cached === false ? auth.keys : makeCacheableSignalKeyStore(auth.keys, silentLogger);
  const keys = addTransactionCapability(given, silentLogger, { maxCommitRetries: 3, delayBetweenTriesMs: 50 });
  const repository = DEFAULT_CONNECTION_CONFIG.makeSignalRepository({ creds: auth.creds, keys }, silentLogger, async () => []);
  return { jid, creds: auth.creds, keys, repository, run: (operation) => operation() };
}

/**
 * libsignal queues the jobs of one address in a module-wide queue that runs them in the async
 * context of whoever started it, so Baileys' transactions of two phones in one process (all
 * writing to the bot's address) could run in each other's transaction and drop writes. Each
 * phone is its own process in reality: here the phones take turns, and the bot runs freely.
 */
let phonesTurn: Promise<unknown> = Promise.resolve();

/** A contact's phone, its keys in memory. */
export function contactParty(i: number): SignalParty {
  const party = signalParty(contactJid(i), memoryAuth());
  return {
    ...party,
    run<T>(operation: () => Promise<T>): Promise<T> {
      const result = phonesTurn.then(operation);
      phonesTurn = result.catch(() => undefined);
      return result;
    },
  };
}

/** An auth state in memory (a contact's phone). */
export function memoryAuth(): AuthLike {
  const values = new Map<string, unknown>();
  return {
    creds: initAuthCreds(),
    keys: {
      async get(type, ids) {
        const result: Record<string, never> = {};
        for (const id of ids) {
          const value = values.get(`${type}\u0000${id}`);
          if (value != null) result[id] = value as never;
        }
        return result;
      },
      async set(data) {
        for (const [type, byId] of Object.entries(data)) {
          for (const [id, value] of Object.entries(byId ?? {})) {
            if (value == null) values.delete(`${type}\u0000${id}`);
            else values.set(`${type}\u0000${id}`, value);
          }
        }
      },
    },
  };
}

/**
 * The socket's uploadPreKeys(): pre-keys generated and stored in one transaction, the creds
 * update emitted (here: applied and saved as a bot's `creds.update` handler does).
 */
export async function uploadPreKeys(bot: SignalParty, count: number, saveCreds: () => Promise<void>): Promise<Record<string, unknown>> {
  return bot.keys.transaction(async () => {
    const { update, preKeys } = await getNextPreKeys({ creds: bot.creds, keys: bot.keys }, count);
    Object.assign(bot.creds, update);
    await saveCreds();
    return preKeys;
  }, 'upload-pre-keys');
}

/** A contact opens a session with the bot from its published bundle (what the server hands out). */
export async function openSession(contact: SignalParty, bot: SignalParty, preKeyId: number): Promise<void> {
  const { [String(preKeyId)]: preKey } = await bot.keys.get('pre-key', [String(preKeyId)]);
  if (!preKey) throw new Error(`the bot has no pre-key ${preKeyId}`);
  await contact.run(() => contact.repository.injectE2ESession({
    jid: bot.jid,
    session: {
      registrationId: bot.creds.registrationId,
      identityKey: generateSignalPubKey(bot.creds.signedIdentityKey.public),
      signedPreKey: {
        keyId: bot.creds.signedPreKey.keyId,
        publicKey: generateSignalPubKey(bot.creds.signedPreKey.keyPair.public),
        signature: bot.creds.signedPreKey.signature,
      },
      preKey: { keyId: preKeyId, publicKey: generateSignalPubKey(preKey.public) },
    },
  }));
}

/** One message from `from` to `to`, encrypted and decrypted by their signal code: the plain text `to` read. */
export async function deliver(from: SignalParty, to: SignalParty, text: string): Promise<string> {
  const { type, ciphertext } = await from.run(() => from.repository.encryptMessage({ jid: to.jid, data: Buffer.from(text) }));
  return Buffer.from(await to.run(() => to.repository.decryptMessage({ jid: from.jid, type, ciphertext }))).toString();
}

/** One group message from `from`, with its sender-key distribution, read by `to`. */
export async function deliverToGroup(from: SignalParty, to: SignalParty, group: string, text: string): Promise<string> {
  const { ciphertext, senderKeyDistributionMessage } = await from.run(() => from.repository.encryptGroupMessage({ group, meId: from.jid, data: Buffer.from(text) }));
  await to.run(() =>
    to.repository.processSenderKeyDistributionMessage({
      item: { groupId: group, axolotlSenderKeyDistributionMessage: senderKeyDistributionMessage },
      authorJid: from.jid,
    }),
  );
  return Buffer.from(await to.run(() => to.repository.decryptGroupMessage({ group, authorJid: from.jid, msg: ciphertext }))).toString();
}

export const contactJid = (i: number): string => `4915${String(1_000_000 + i)}@s.whatsapp.net`;
export const BOT_JID = '4917000000001@s.whatsapp.net';

/**
 * A bot process for the kill test: real Baileys on useSessionStoreAuthState, writing keys as
 * fast as it can from four concurrent flows (pre-key uploads with their creds update, and
 * signal sessions), and reporting each write to its parent (IPC) the moment its promise
 * resolves. The parent SIGKILLs it in the middle of that and checks what was reported.
 *
 *   BASE_URL, TOKEN, SESSION_ID; DURABILITY=debounce for the control run.
 */
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { createClient, toBufferJson, useSessionStoreAuthState } from '../../src/client/index.js';
import { BOT_JID, signalParty, uploadPreKeys } from '../../scripts/lib/baileysSession.js';

export interface Acknowledged {
  /** Keys by type and id, in BufferJSON form, as set by a write whose promise resolved. */
  keys?: Record<string, Record<string, unknown>>;
  /** creds.nextPreKeyId, after a saveCreds() that resolved. */
  nextPreKeyId?: number;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

async function main(): Promise<void> {
  const client = createClient({ baseUrl: env('BASE_URL'), token: env('TOKEN') });
  const debounce = process.env.DURABILITY === 'debounce';
  const auth = await useSessionStoreAuthState(client, env('SESSION_ID'), debounce ? { durability: 'debounce', debounceMs: 5_000 } : {});
  const bot = signalParty(BOT_JID, auth.state);
  const report = (message: Acknowledged): void => void process.send!(message);

  const uploads = (async () => {
    for (;;) {
      const preKeys = await uploadPreKeys(bot, 20, auth.saveCreds);
      report({ keys: { 'pre-key': toBufferJson(preKeys) as Record<string, unknown> }, nextPreKeyId: bot.creds.nextPreKeyId });
      await nextTurn(); // as a bot between socket events: lets the IPC (and a debounce timer) run
    }
  })();
  const sessions = [0, 1, 2].map(async (flow) => {
    for (let i = 0; ; i++) {
      const id = `49170${flow}${String(i).padStart(6, '0')}.0`;
      const record = randomBytes(300 + ((i * 37) % 900));
      await bot.keys.set({ session: { [id]: record } });
      report({ keys: { session: { [id]: toBufferJson(record) } } });
      await nextTurn();
    }
  });
  await Promise.all([uploads, ...sessions]);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack}\n`);
  process.exit(1);
});

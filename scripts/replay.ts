/**
 * Prints a session's history version by version, and with --verify replays it from its first
 * version (1, or the base retention compacted it to) and checks every stored hash, checkpoint and
 * chain link (non-zero exit at the first mismatch).
 *
 *   npm run replay -- <session id> [--to N | --at <instant>] [--verify] [--json] [--tenant T]
 */
import { parseArgs } from 'node:util';
import type { Operation } from 'fast-json-patch';
import { findVersionAt } from '../src/store/findVersionAt.js';
import { formatInstant, parseInstant } from '../src/core/time.js';
import { verifyHistory } from '../src/sessions/verifyHistory.js';
import { IntegrityError, NotFoundError } from '../src/errors.js';
import { runMain, withServiceDatabase } from './lib/cli.js';

const USAGE = 'usage: npm run replay -- <session id> [--to N | --at <instant>] [--verify] [--json] [--tenant T]';

function compactPatch(patch: Operation[], width = 110): string {
  return patch
    .map((op) => {
      const value = 'value' in op ? ` ${JSON.stringify(op.value)}` : 'from' in op ? ` from ${op.from}` : '';
      const line = `${op.op} ${op.path || '(root)'}${value}`;
      return line.length > width ? `${line.slice(0, width - 1)}…` : line;
    })
    .join('\n      ');
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      to: { type: 'string' },
      at: { type: 'string' },
      verify: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      tenant: { type: 'string', default: 'default' },
      help: { type: 'boolean', default: false },
    },
  });
  const sessionId = positionals[0];
  if (values.help || !sessionId || positionals.length > 1 || (values.to && values.at)) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const to = values.to === undefined ? undefined : Number(values.to);
  if (to !== undefined && (!Number.isInteger(to) || to < 1)) {
    process.stderr.write(`--to must be a version (a whole number from 1)\n${USAGE}\n`);
    return 2;
  }
  const at = values.at === undefined ? undefined : parseInstant(values.at);
  if (values.at !== undefined && at === undefined) {
    process.stderr.write(`--at must be an RFC 3339 instant, e.g. 2026-01-31T12:00:00Z\n`);
    return 2;
  }

  return withServiceDatabase(async (pool) => {
    try {
      let last = to;
      if (at !== undefined) {
        last = await findVersionAt(pool, values.tenant!, sessionId, at);
        if (last === undefined) {
          process.stderr.write(`session ${sessionId} had no version at ${values.at}\n`);
          return 1;
        }
      }
      const printed: unknown[] = [];
      const result = await verifyHistory(pool, values.tenant!, sessionId, {
        ...(last !== undefined ? { to: last } : {}),
        visit: ({ event, patch }) => {
          if (values.json) {
            printed.push({
              version: event.version,
              created_at: formatInstant(event.createdAt),
              kind: event.kind,
              message: event.message,
              author: event.author,
              ops: event.ops,
              patch_bytes: event.patchBytes,
              state_bytes: event.stateBytes,
              state_hash: event.stateHash.toString('hex'),
              patch,
            });
            return;
          }
          const note = [event.message && `"${event.message}"`, event.author && `by ${event.author}`].filter(Boolean).join(' ');
          process.stdout.write(
            `v${event.version}  ${formatInstant(event.createdAt)}  ${event.kind}  ${event.ops} op(s), ${event.patchBytes} B patch, ${event.stateBytes} B state${note ? `  ${note}` : ''}\n      ${compactPatch(patch)}\n`,
          );
        },
      });
      if (values.json) process.stdout.write(`${JSON.stringify(printed, null, 2)}\n`);
      if (values.verify) {
        const from =
          result.firstVersion > 1
            ? `from version ${result.firstVersion} (the base retention compacted the session to: the chain is checked from the link recorded for it)`
            : 'from version 1';
        process.stderr.write(`verified: ${result.versions} version(s), ${result.checkpoints} checkpoint(s), hashes and chain intact, ${from}\n`);
      }
      return 0;
    } catch (error) {
      if (error instanceof IntegrityError) {
        process.stderr.write(`MISMATCH in session ${sessionId} at ${error.message}\n`);
        return 1;
      }
      if (error instanceof NotFoundError) {
        process.stderr.write(`${error.message} (tenant ${values.tenant})\n`);
        return 1;
      }
      throw error;
    }
  });
}

runMain('replay', main, USAGE);

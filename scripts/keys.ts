/**
 * API keys, from the command line, against the same database as the server.
 *
 *   npm run keys -- create --tenant <t> [--role read|write|admin] [--expires <instant>]
 *                          [--description <text>] [--rate <per second> [--burst <n>]]
 *   npm run keys -- list [--tenant <t>] [--json]
 *   npm run keys -- revoke <key id>
 *
 * `create` prints the new key alone on the last line of its output, so a script can capture it:
 *   KEY=$(npm run --silent keys -- create --tenant acme | tail -n 1)
 */
import { parseArgs } from 'node:util';
import { createKey, ExpiryPastError, listKeys, revokeKey, ROLES, TENANT_PATTERN } from '../src/access/keys.js';
import { formatInstant, parseInstant } from '../src/core/time.js';
import type { Role } from '../src/store/apiKeys.js';
import { keyView } from '../src/http/routes/keys.js';
import { runMain, UsageError, withServiceDatabase } from './lib/cli.js';

const USAGE = `usage:
  npm run keys -- create --tenant <t> [--role read|write|admin] [--expires <RFC 3339 instant>] [--description <text>] [--rate <per second> [--burst <n>]]
  npm run keys -- list [--tenant <t>] [--json]
  npm run keys -- revoke <key id>`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      role: { type: 'string', default: 'write' },
      expires: { type: 'string' },
      description: { type: 'string' },
      rate: { type: 'string' },
      burst: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (values.tenant !== undefined && !new RegExp(TENANT_PATTERN).test(values.tenant)) {
    throw new UsageError('--tenant must be 1 to 64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit');
  }

  return withServiceDatabase(async (pool) => {
    switch (command) {
      case 'create': {
        if (!values.tenant) throw new UsageError('create needs --tenant');
        if (!ROLES.includes(values.role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
        const expiresAt = values.expires === undefined ? undefined : parseInstant(values.expires);
        if (values.expires !== undefined && expiresAt === undefined) throw new UsageError('--expires must be an RFC 3339 instant, e.g. 2027-01-01T00:00:00Z');
        const rate = values.rate === undefined ? undefined : Number(values.rate);
        if (rate !== undefined && !(rate > 0)) throw new UsageError('--rate must be a number of requests per second above 0');
        const burst = values.burst === undefined ? undefined : Number(values.burst);
        if (burst !== undefined && !(Number.isInteger(burst) && burst >= 1)) throw new UsageError('--burst must be a whole number from 1');
        const { key, token } = await createKey(pool, {
          tenant: values.tenant,
          role: values.role as Role,
          expiresAt,
          description: values.description,
          ratePerSecond: rate,
          rateBurst: burst,
        }).catch((error: unknown) => {
          if (error instanceof ExpiryPastError) throw new UsageError(`--expires ${values.expires} is already past: a key must expire in the future`);
          throw error;
        });
        process.stdout.write(`created key ${key.id} for tenant ${key.tenant} (role ${key.role}${key.expiresAt ? `, expires ${formatInstant(key.expiresAt)}` : ''})\n`);
        process.stdout.write('the key is shown this once; store it now:\n');
        process.stdout.write(`${token}\n`);
        return 0;
      }
      case 'list': {
        const keys = await listKeys(pool, values.tenant);
        if (values.json) {
          process.stdout.write(`${JSON.stringify(keys.map(keyView), null, 2)}\n`);
          return 0;
        }
        for (const key of keys) {
          const status = key.revokedAt ? `revoked ${formatInstant(key.revokedAt)}` : 'active';
          const used = key.lastUsedAt ? `last used ${formatInstant(key.lastUsedAt)}` : 'never used';
          const expires = key.expiresAt ? `  expires ${formatInstant(key.expiresAt)}` : '';
          process.stdout.write(`${key.id}  ${key.tenant}  ${key.role}  ${status}  created ${formatInstant(key.createdAt)}  ${used}${expires}${key.description ? `  "${key.description}"` : ''}\n`);
        }
        return 0;
      }
      case 'revoke': {
        const id = rest[0];
        if (!id || rest.length > 1) throw new UsageError('revoke takes one key id');
        if (!(await revokeKey(pool, id))) {
          process.stderr.write(`there is no live key ${id}\n`);
          return 1;
        }
        process.stdout.write(`revoked key ${id}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  });
}

runMain('keys', main, USAGE);

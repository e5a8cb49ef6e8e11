import { expect } from 'chai';
import { request as httpRequest } from 'node:http';
import Router from '@koa/router';
import { createKey } from '../../src/access/keys.js';
import type { Authenticator } from '../../src/access/authenticate.js';
import { createGuards } from '../../src/http/auth.js';
import { createRouter, declaredRoutes } from '../../src/http/routing.js';
import { startTestServer, useTestServer } from '../helpers/api.js';
import { checkAgainstSpec, spec, specOperations } from '../helpers/openapi.js';

type Credential = 'none' | 'read' | 'write' | 'admin';
type Access = 'public' | 'read' | 'write' | 'admin';

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** What the matrix sends to one operation: its path parameters, query and body. */
interface Sample {
  params?: Record<string, string>;
  query?: string;
  /** The body, built afresh per request (a fork needs a new target each time). */
  body?: (variant: boolean) => string;
  type?: string;
}

const CREDENTIALS: Credential[] = ['none', 'read', 'write', 'admin'];
const RANK: Record<Credential, number> = { none: 0, read: 1, write: 2, admin: 3 };
const NEEDED: Record<Access, number> = { public: 0, read: 1, write: 2, admin: 3 };

let forks = 0;
const json = (value: unknown) => () => JSON.stringify(value);
/**
 * One request per operation of openapi.yaml. A new operation in the spec without a sample here
 * fails the test, so the matrix always covers every route.
 */
const SAMPLES: Record<string, Sample> = {
  'PUT /v1/sessions/{sid}/state': { params: { sid: 'target' }, body: json({ saved: true }) },
  'PATCH /v1/sessions/{sid}/state': { params: { sid: 'target' }, body: json([{ op: 'add', path: '/patched', value: 1 }]), type: 'application/json-patch+json' },
  'GET /v1/sessions/{sid}/state': { params: { sid: 'target' } },
  'GET /v1/sessions/{sid}/history': { params: { sid: 'target' } },
  'GET /v1/sessions/{sid}/versions/{n}': { params: { sid: 'target', n: '1' } },
  'GET /v1/sessions/{sid}/diff': { params: { sid: 'target' }, query: 'from=1&to=1' },
  'GET /v1/sessions/{sid}/watch': { params: { sid: 'target' } },
  'POST /v1/sessions/{sid}/restore': { params: { sid: 'target' }, body: json({ version: 1 }) },
  'POST /v1/sessions/{sid}/fork': { params: { sid: 'target' }, body: () => JSON.stringify({ to: `fork-${++forks}` }) },
  'DELETE /v1/sessions/{sid}': { params: { sid: 'doomed' } },
  'GET /v1/sessions': {},
  'GET /v1/keys': {},
  // A misspelt path asks for what a climbing key would want: an admin key.
  'POST /v1/keys': { body: (variant) => JSON.stringify(variant ? { role: 'admin', description: 'via-misspelt-path' } : { role: 'read', description: 'exact' }) },
  'DELETE /v1/keys/{id}': { params: { id: '0123456789ab' } },
  'GET /healthz': {},
  'GET /readyz': {},
  'GET /openapi.yaml': {},
  'GET /v1/whoami': {},
  'GET /ui': {},
  'GET /ui/': {},
  'GET /ui/{file}': { params: { file: 'app.js' } },
  'GET /v1/retention': {},
  'PUT /v1/retention': { body: json({ keep_versions: 1000 }) },
  'DELETE /v1/retention': {},
  'GET /v1/sessions/{sid}/retention': { params: { sid: 'target' } },
  'PUT /v1/sessions/{sid}/retention': { params: { sid: 'target' }, body: json({}) },
  'DELETE /v1/sessions/{sid}/retention': { params: { sid: 'target' } },
  'POST /v1/sessions/{sid}/compact': { params: { sid: 'target' }, body: json({}) },
  'GET /v1/sessions/{sid}/export': { params: { sid: 'target' } },
  // Not an export: refused (422) at its first line, before anything is written.
  'POST /v1/sessions/{sid}/import': { params: { sid: 'imported' }, body: () => '{"format":"other"}\n', type: 'application/x-ndjson' },
};

/** The access each operation declares in openapi.yaml (`x-access`), checked against `security`. */
function declaredAccess(method: string, template: string): Access {
  const operation = (spec.paths[template] as Record<string, { 'x-access'?: Access; security?: unknown[] }>)[method.toLowerCase()]!;
  const access = operation['x-access'];
  expect(access, `${method} ${template} declares x-access`).to.be.oneOf(['public', 'read', 'write', 'admin']);
  expect(access === 'public', `${method} ${template}: x-access public iff security: []`).to.equal(
    Array.isArray(operation.security) && operation.security.length === 0,
  );
  return access!;
}

function fill(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name]!));
}

/**
 * Other spellings of a path (not the same route to anyone who compares paths as strings):
 * case, slashes, percent-encoded letters, dot segments and `;` parameters.
 */
function misspellings(path: string): Array<[string, string]> {
  const segments = path.split('/').slice(1);
  // The literal segments (not path parameters), by index.
  const literals = segments.map((segment, i) => [segment, i] as const).filter(([segment]) => /^[a-z]/.test(segment) && !/^(target|doomed|0123456789ab|app\.js)$/.test(segment));
  const rebuilt = (i: number, replacement: string) => '/' + segments.map((segment, j) => (j === i ? replacement : segment)).join('/');
  const [first, firstIndex] = literals[0]!;
  const [last, lastIndex] = literals.at(-1)!;
  const variants: Array<[string, string]> = [
    ['first segment upper-cased', rebuilt(firstIndex, first.toUpperCase())],
    ['last segment upper-cased', rebuilt(lastIndex, last.toUpperCase())],
    ['last segment capitalised', rebuilt(lastIndex, last[0]!.toUpperCase() + last.slice(1))],
    ['trailing slash', `${path}/`],
    ['leading double slash', `/${path}`],
    ['percent-encoded letter', rebuilt(lastIndex, `%${last.charCodeAt(0).toString(16).toUpperCase()}${last.slice(1)}`)],
    ['lower-case percent-encoding', rebuilt(lastIndex, `%${last.charCodeAt(0).toString(16)}${last.slice(1)}`)],
    ['matrix parameter', rebuilt(lastIndex, `${last};x=1`)],
    ['dot segment', `/.${path}`],
    ['dot-dot segment', `/x/..${path}`],
  ];
  if (segments.length > 1) {
    variants.push(['interior double slash', path.replace(/^(\/[^/]+)\//, '$1//')]);
    variants.push(['encoded slash', path.replace(/^(\/[^/]+)\//, '$1%2F')]);
  }
  // Another route's own spelling is that route, not a misspelling: /ui/ of /ui.
  const seen = new Set([path, ...Object.entries(SAMPLES).map(([operation, sample]) => fill(operation.split(' ')[1]!, sample.params))]);
  return variants.filter(([, variant]) => !seen.has(variant) && seen.add(variant));
}

describe('routing: one spelling per route, and each route checks the access it declares', function () {
  this.timeout(300_000);
  const fixture = useTestServer();
  const tokens: Partial<Record<Credential, string>> = {};
  const operations = specOperations().map((operation) => {
    const [method, template] = operation.split(' ') as [string, string];
    return { operation, method, template };
  });

  before(async () => {
    tokens.write = fixture.server.token;
    tokens.read = (await createKey(fixture.db.pool, { tenant: 'default', role: 'read' })).token;
    tokens.admin = (await createKey(fixture.db.pool, { tenant: 'default', role: 'admin' })).token;
    for (const sid of ['target', 'doomed']) {
      for (const value of [{ v: 1 }, { v: 2 }]) {
        const saved = await fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid }, json: value });
        expect(saved.status).to.equal(201);
      }
    }
  });

  /** A request with its path sent byte for byte (fetch would resolve dot segments and `//`). */
  function send(method: string, path: string, credential: Credential, sample: Sample = {}, variant = false, baseUrl = fixture.server.baseUrl): Promise<Answer> {
    const body = sample.body && method !== 'GET' && method !== 'HEAD' ? sample.body(variant) : undefined;
    const headers: Record<string, string> = {};
    if (credential !== 'none') headers.authorization = `Bearer ${tokens[credential]}`;
    if (body !== undefined) {
      headers['content-type'] = sample.type ?? 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const url = new URL(baseUrl);
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        { host: url.hostname, port: url.port, method, path: sample.query ? `${path}?${sample.query}` : path, headers },
        (response) => {
          const contentType = response.headers['content-type'] ?? null;
          // An event stream (/watch) stays open: its answer is its status and headers.
          if (contentType?.startsWith('text/event-stream')) {
            response.destroy();
            resolve({ status: response.statusCode!, contentType, text: '', body: '', headers: response.headers });
            return;
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            // An export (NDJSON) is many JSON texts: it stays text.
            const parsed = contentType && /json/.test(contentType) && !/ndjson/.test(contentType) && text ? JSON.parse(text) : text;
            resolve({ status: response.statusCode!, contentType, text, body: parsed, headers: response.headers });
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  async function count(sql: string): Promise<number> {
    const [rows] = await fixture.db.pool.query(sql);
    return Number((rows as Array<{ n: number }>)[0]!.n);
  }
  const written = async () => ({
    events: await count('SELECT COUNT(*) AS n FROM events'),
    heads: await count('SELECT COUNT(*) AS n FROM sessions'),
    keys: await count('SELECT COUNT(*) AS n FROM api_keys'),
  });

  it('covers every operation in openapi.yaml', () => {
    expect(operations.map((o) => o.operation).sort()).to.deep.equal(Object.keys(SAMPLES).sort());
  });

  it('answers every other spelling of every route with 404 problem+json, for every key, and writes nothing', async () => {
    const before = await written();
    const failures: string[] = [];
    for (const { operation, method, template } of operations) {
      const sample = SAMPLES[operation]!;
      for (const [label, path] of misspellings(fill(template, sample.params))) {
        for (const credential of CREDENTIALS) {
          for (const sent of method === 'GET' ? ['GET', 'HEAD'] : [method]) {
            const answer = await send(sent, path, credential, sample, true);
            const what = `${sent} ${path} (${label}, ${operation}) with ${credential} key: ${answer.status} ${answer.text.slice(0, 200)}`;
            if (answer.status !== 404 || !/^application\/problem\+json/.test(answer.contentType ?? '')) failures.push(what);
            else if (sent !== 'HEAD' && !(answer.body.status === 404 && answer.body.type && answer.body.detail)) failures.push(what);
            if (answer.text.includes('"token"')) failures.push(`${what}: a key was issued`);
          }
        }
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
    expect(await written(), 'rows after the misspelt requests').to.deep.equal(before);
  });

  it('answers the exact spelling of every route per the access it declares: 401 without a key, 403 below its role', async () => {
    const failures: string[] = [];
    for (const { operation, method, template } of operations) {
      const sample = SAMPLES[operation]!;
      const needed = NEEDED[declaredAccess(method, template)];
      for (const credential of CREDENTIALS) {
        for (const sent of method === 'GET' ? ['GET', 'HEAD'] : [method]) {
          const answer = await send(sent, fill(template, sample.params), credential, sample);
          const what = `${sent} ${template} with ${credential} key: ${answer.status} ${answer.text.slice(0, 200)}`;
          const expected = RANK[credential] >= needed ? 'admitted' : credential === 'none' ? 401 : 403;
          if (expected === 'admitted' ? [401, 403].includes(answer.status) || answer.status >= 500 : answer.status !== expected) {
            failures.push(`${what} (expected ${expected})`);
          }
          try {
            checkAgainstSpec(sent, template, answer.status, answer.contentType, sent === 'HEAD' ? '' : answer.body);
          } catch (error) {
            failures.push(`${what}: ${(error as Error).message}`);
          }
        }
      }
    }
    expect(failures, failures.join('\n')).to.deep.equal([]);
  });

  it('issues no key to a write key that POSTs /v1/KEYS, lists none to a read key at /v1/Keys, and answers /V1/sessions without a key with 404, not 500', async () => {
    const keysBefore = await count('SELECT COUNT(*) AS n FROM api_keys');
    const climb = await send('POST', '/v1/KEYS', 'write', { body: json({ role: 'admin' }) });
    expect(climb.status).to.equal(404);
    expect(climb.text).not.to.include('token');
    expect(climb.text).not.to.match(/sst_/);
    const listed = await send('GET', '/v1/keys', 'admin');
    expect(listed.status).to.equal(200);
    expect(listed.body.items.filter((key: { role: string }) => key.role === 'admin')).to.have.length(1);
    expect(await count('SELECT COUNT(*) AS n FROM api_keys')).to.equal(keysBefore);

    const peek = await send('GET', '/v1/Keys', 'read');
    expect(peek.status).to.equal(404);
    expect(peek.text).not.to.include('items');

    const anonymous = await send('GET', '/V1/sessions', 'none');
    expect(anonymous.status).to.equal(404);
    expect(anonymous.contentType).to.match(/^application\/problem\+json/);
  });

  it('percent-decodes path parameters only, and answers OPTIONS with Allow without a key', async () => {
    const saved = await send('PUT', '/v1/sessions/a%3Ab/state', 'write', { body: json({ colon: true }) });
    expect(saved.status).to.equal(201);
    expect(saved.body.session_id).to.equal('a:b');
    expect((await send('GET', '/v1/sessions/a:b/state', 'read')).body).to.deep.equal({ colon: true });
    const options = await send('OPTIONS', '/v1/sessions/a:b/state', 'none');
    expect(options.status).to.equal(200);
    expect(options.headers.allow).to.match(/\bGET\b/).and.to.match(/\bPUT\b/);
  });

  it('checks the key before reading the body: no key 401 and a low role 403 even for a body over the limit; no route 405 or 404 without reading it', async () => {
    const small = await startTestServer(fixture.db.pool, { bodyLimitBytes: 64 }, { withKey: false });
    const big = JSON.stringify({ padding: 'x'.repeat(1000) });
    const status = async (method: string, path: string, credential: Credential) => {
      const answer = await send(method, path, credential, { body: () => big }, false, small.baseUrl);
      expect(answer.contentType, `${method} ${path} ${credential}`).to.match(/^application\/problem\+json/);
      return answer.status;
    };
    try {
      expect(await status('PUT', '/v1/sessions/target/state', 'none')).to.equal(401);
      expect(await status('PUT', '/v1/sessions/target/state', 'read')).to.equal(403);
      expect(await status('PUT', '/v1/sessions/target/state', 'write')).to.equal(413);
      expect(await status('POST', '/v1/keys', 'write')).to.equal(403);
      expect(await status('POST', '/v1/keys', 'admin')).to.equal(413);
      for (const credential of CREDENTIALS) {
        // No route takes these: nothing to guard, and the body is never read.
        expect(await status('POST', '/v1/sessions', credential), `405 ${credential}`).to.equal(405);
        expect((await send('POST', '/v1/sessions', credential, {}, false, small.baseUrl)).headers.allow).to.match(/\bGET\b/);
        expect(await status('PUT', '/v1/Sessions/target/state', credential), `404 ${credential}`).to.equal(404);
      }
    } finally {
      await small.close();
    }
  });
});

describe('routing: a route that is not exact or names no guard stops the app from starting', () => {
  const refuse = () => Promise.reject(new Error('not called'));
  const authenticator: Authenticator = { authenticate: refuse, remembered: () => undefined, forget: () => undefined };
  const access = createGuards(authenticator, { take: () => undefined }, { perSecond: 0, burst: 1 }, (_ctx, next) => next());
  const handler = () => undefined;

  it('lists the routes of exact routers with their guards', () => {
    const router = createRouter();
    router.get('/v1/things', access.read, handler);
    router.delete('/v1/things/:id', access.admin, handler);
    expect(declaredRoutes([router])).to.deep.equal([
      { route: 'GET /v1/things', access: 'read' },
      { route: 'DELETE /v1/things/{id}', access: 'admin' },
    ]);
  });

  it('refuses a route without a guard, a router that ignores case or trailing slashes, and router-level middleware', () => {
    const unguarded = createRouter();
    unguarded.get('/v1/things', handler, access.read);
    expect(() => declaredRoutes([unguarded])).to.throw(/GET.* \/v1\/things declares no access/);
    const loose = new Router();
    loose.get('/v1/things', access.read, handler);
    expect(() => declaredRoutes([loose])).to.throw(/not matched exactly/);
    const withMiddleware = createRouter();
    withMiddleware.use(handler);
    withMiddleware.get('/v1/things', access.read, handler);
    expect(() => declaredRoutes([withMiddleware])).to.throw(/before the route's guard/);
  });
});

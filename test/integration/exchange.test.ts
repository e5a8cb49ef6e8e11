import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { createKey } from '../../src/access/keys.js';
import { createClient, SessionStoreError } from '../../src/client/index.js';
import { formatDatabaseUrl } from '../../src/db/target.js';
import { DEFAULT_TRANSACTION_OPTIONS } from '../../src/db/transaction.js';
import { projectRoot } from '../../src/paths.js';
import { compactSession } from '../../src/retention/compact.js';
import { verifyHistory } from '../../src/sessions/verifyHistory.js';
import { apiClient, startTestServer, type Api, useTestServer } from '../helpers/api.js';
import { createTestDatabase } from '../helpers/database.js';

const run = promisify(execFile);

function stateAt(n: number): unknown {
  if (n % 7 === 0) return { rewritten: n, body: 'r'.repeat(200 + n) };
  return { n, notes: 'n'.repeat(300), items: Array.from({ length: n % 25 }, (_, k) => ({ k, label: `item ${k} of ${n}` })) };
}

describe('export and import (NDJSON)', function () {
  this.timeout(180_000);
  const fixture = useTestServer({ checkpointEvery: 5 });
  /** A write key of another tenant, where exports are imported. */
  let elsewhere: Api;
  let elsewhereToken: string;

  const save = (sid: string, state: unknown, query: Record<string, string> = {}) =>
    fixture.api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid }, json: state, query });
  const exportText = async (client: Api, sid: string): Promise<string> => {
    const answer = await client.request('GET', '/v1/sessions/{sid}/export', { params: { sid } });
    expect(answer.status, answer.text).to.equal(200);
    expect(answer.headers.get('content-type')).to.match(/^application\/x-ndjson/);
    return answer.text;
  };
  const importText = (client: Api, sid: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    client.request('POST', '/v1/sessions/{sid}/import', { params: { sid }, raw: body, headers: { 'content-type': 'application/x-ndjson', ...headers } });
  /** Every version of a session in one tenant loads the same text in another. */
  async function expectSameVersions(from: Api, sid: string, to: Api, copy: string, first: number, head: number): Promise<void> {
    for (let n = first; n <= head; n++) {
      const a = await from.request('GET', '/v1/sessions/{sid}/state', { params: { sid }, query: { version: n } });
      const b = await to.request('GET', '/v1/sessions/{sid}/state', { params: { sid: copy }, query: { version: n } });
      expect(b.text, `version ${n}`).to.equal(a.text);
    }
    const historyOf = async (client: Api, id: string) =>
      (await client.request('GET', '/v1/sessions/{sid}/history', { params: { sid: id }, query: { limit: 1000 } })).body;
    const [ours, theirs] = [await historyOf(from, sid), await historyOf(to, copy)];
    expect(theirs).to.deep.equal(ours);
  }

  before(async () => {
    elsewhereToken = (await createKey(fixture.db.pool, { tenant: 'elsewhere', role: 'write' })).token;
    elsewhere = apiClient(fixture.server.baseUrl, elsewhereToken);
    for (let n = 1; n <= 30; n++) await save('source', stateAt(n), n % 4 === 0 ? { message: `turn ${n}`, author: 'bot', labels: JSON.stringify({ turn: String(n), 'step:id': `s-${n}` }) } : {});
    await fixture.api.request('POST', '/v1/sessions/{sid}/restore', { params: { sid: 'source' }, json: { version: 3, message: 'back to 3' } });
    await fixture.api.request('POST', '/v1/sessions/{sid}/fork', { params: { sid: 'source' }, json: { to: 'forked', version: 12 } });
    await fixture.api.request('PATCH', '/v1/sessions/{sid}/state', {
      params: { sid: 'forked' },
      raw: JSON.stringify([{ op: 'add', path: '/extra', value: '😀' }]),
      headers: { 'content-type': 'application/json-patch+json' },
    });
  });

  it('exports a header and one line per version, with patches and the states of checkpoints', async () => {
    const lines = (await exportText(fixture.api, 'source')).trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(lines[0]).to.deep.include({
      format: 'session-state-store/export',
      format_version: 1,
      tenant: 'default',
      session_id: 'source',
      first_version: 1,
      head_version: 31,
      base_chain_hash: '0'.repeat(64),
    });
    expect(lines).to.have.length(32);
    expect(lines.slice(1).map((line) => line.version)).to.deep.equal(Array.from({ length: 31 }, (_, i) => i + 1));
    expect(lines[1]).to.deep.include({ version: 1, kind: 'save', patch: null, state: stateAt(1), prev_hash: '0'.repeat(64) });
    expect(lines[4]).to.deep.include({ version: 4, message: 'turn 4', author: 'bot' });
    expect(lines[2].patch).to.be.an('array');
    expect(lines[31]).to.deep.include({ kind: 'restore', restored_from: 3, message: 'back to 3' });
    expect(lines.filter((line) => line.state !== undefined).length).to.be.within(7, 31);
    const forked = (await exportText(fixture.api, 'forked')).trimEnd().split('\n').map((line) => JSON.parse(line));
    expect(forked[1]).to.deep.include({ kind: 'fork', forked_from: { session_id: 'source', version: 12 } });
  });

  it('imports an export into another tenant: every version loads the same, with the same history, and --verify passes', async () => {
    for (const sid of ['source', 'forked']) {
      const imported = await importText(elsewhere, sid, await exportText(fixture.api, sid));
      expect(imported.status, imported.text).to.equal(201);
      expect(imported.body).to.deep.include({ session_id: sid, first_version: 1 });
      const head = imported.body.head_version as number;
      await expectSameVersions(fixture.api, sid, elsewhere, sid, 1, head);
      expect(await verifyHistory(fixture.db.pool, 'elsewhere', sid)).to.deep.include({ versions: head });
    }
    // The import is a session like any other: it takes new versions.
    expect((await elsewhere.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: 'source' }, json: { after: 'import' } })).body.version).to.equal(32);
    await verifyHistory(fixture.db.pool, 'elsewhere', 'source');
    // A second import under an id that exists is a 409, and so is one under another name of its own tenant... taken.
    const again = await importText(elsewhere, 'source', await exportText(fixture.api, 'source'));
    expect(again.status).to.equal(409);
    // Compressed files are taken too.
    const gz = await importText(elsewhere, 'source-gz', gzipSync(await exportText(fixture.api, 'source')), { 'content-encoding': 'gzip' });
    expect(gz.status, gz.text).to.equal(201);
  });

  it('exports and imports a compacted session from its base, which --verify then checks from', async () => {
    for (let n = 1; n <= 25; n++) await save('compacted', stateAt(n));
    await compactSession({ pool: fixture.db.pool, work: fixture.server.app.store.work, transactions: DEFAULT_TRANSACTION_OPTIONS }, 'default', 'compacted', { keepVersions: 8 }, { batchRows: 50 });
    const text = await exportText(fixture.api, 'compacted');
    const header = JSON.parse(text.slice(0, text.indexOf('\n')));
    expect(header).to.deep.include({ first_version: 18, head_version: 25 });
    expect(header.base_chain_hash).to.not.equal('0'.repeat(64));
    const imported = await importText(elsewhere, 'compacted', text);
    expect(imported.status, imported.text).to.equal(201);
    expect(imported.body).to.deep.include({ first_version: 18, head_version: 25, versions: 8 });
    await expectSameVersions(fixture.api, 'compacted', elsewhere, 'compacted', 18, 25);
    expect((await elsewhere.request('GET', '/v1/sessions/{sid}/state', { params: { sid: 'compacted' }, query: { version: 17 } })).body.first_version).to.equal(18);
    expect(await verifyHistory(fixture.db.pool, 'elsewhere', 'compacted')).to.deep.include({ firstVersion: 18, versions: 8 });
    const { stderr } = await run(process.execPath, [join(projectRoot, 'dist/scripts/replay.js'), 'compacted', '--verify', '--tenant', 'elsewhere'], {
      env: { ...process.env, DATABASE_URL: formatDatabaseUrl(fixture.db.target) },
    });
    expect(stderr).to.match(/hashes and chain intact, from version 18 /);
  });

  describe('refuses a file changed anywhere, at the line of the change, and writes nothing', () => {
    let lines: string[];
    before(async () => {
      lines = (await exportText(fixture.api, 'source')).trimEnd().split('\n');
    });
    /** The file with one byte of line `index` (0 is the header) changed by `edit`. */
    const changed = (index: number, edit: (line: string) => string): string =>
      `${lines.map((line, i) => (i === index ? edit(line) : line)).join('\n')}\n`;
    const oneByte = (from: string, to: string) => (line: string) => {
      const at = line.indexOf(from);
      if (at === -1) throw new Error(`no ${from} in ${line.slice(0, 200)}`);
      return line.slice(0, at) + to + line.slice(at + from.length);
    };
    const lineWithState = () => lines.findIndex((line, i) => i > 1 && line.includes('"state":{"n"'));
    const lineWithPatch = () => lines.findIndex((line, i) => i > 1 && line.includes('"patch":[') && line.includes('"label":"item'));
    const cases: Array<[string, () => [number, string]]> = [
      ['a byte of a state', () => [lineWithState(), changed(lineWithState(), oneByte('"notes":"n', '"notes":"m'))]],
      ['a byte of a patch', () => [lineWithPatch(), changed(lineWithPatch(), oneByte('"label":"item', '"label":"itex'))]],
      ['a digit of a time', () => [9, changed(9, (line) => line.replace(/("created_at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{5})(\d)/, (_, head: string, digit: string) => head + String((Number(digit) + 1) % 10)))]],
      ['a hex digit of a chain link', () => [12, changed(12, (line) => line.replace(/("prev_hash":")(.)/, (_, head: string, c: string) => head + (c === 'a' ? 'b' : 'a')))]],
      ['a hex digit of its own chain link', () => [14, changed(14, (line) => line.replace(/("chain_hash":")(.)/, (_, head: string, c: string) => head + (c === 'a' ? 'b' : 'a')))]],
      ['a hex digit of a state hash', () => [20, changed(20, (line) => line.replace(/("state_hash":")(.)/, (_, head: string, c: string) => head + (c === 'a' ? 'b' : 'a')))]],
      ['the kind of a version', () => [6, changed(6, oneByte('"kind":"save"', '"kind":"patch"'))]],
      ['a line that is not JSON', () => [15, changed(15, (line) => line.slice(0, -1))]],
    ];
    for (const [what, make] of cases) {
      it(what, async () => {
        const [index, file] = make();
        expect(index).to.be.greaterThan(0);
        expect(file).to.not.equal(`${lines.join('\n')}\n`);
        const refused = await importText(elsewhere, 'changed', file);
        expect(refused.status, refused.text).to.equal(422);
        expect(refused.body.line, refused.body.detail).to.equal(index + 1);
        expect(refused.body.detail).to.match(new RegExp(`^line ${index + 1} of the file: `));
        expect((await elsewhere.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'changed' } })).status).to.equal(404);
      });
    }

    it('a truncated file: cut in a line, or after a whole line', async () => {
      const whole = `${lines.join('\n')}\n`;
      const cut = await importText(elsewhere, 'changed', whole.slice(0, Math.floor(whole.length * 0.6)));
      expect(cut.status).to.equal(422);
      expect(cut.body.detail).to.match(/not valid JSON/);
      const short = await importText(elsewhere, 'changed', `${lines.slice(0, 20).join('\n')}\n`);
      expect(short.status).to.equal(422);
      expect(short.body).to.deep.include({ line: 21 });
      expect(short.body.detail).to.match(/the file ends after version 19, but its header says the last version is 31: it is truncated/);
      const empty = await importText(elsewhere, 'changed', '');
      expect(empty.status).to.equal(422);
      expect((await elsewhere.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'changed' } })).status).to.equal(404);
    });

    it('a body that is not an export, or too large, or of another type', async () => {
      expect((await importText(elsewhere, 'changed', '{"format":"other"}\n')).body.line).to.equal(1);
      const json = await elsewhere.request('POST', '/v1/sessions/{sid}/import', { params: { sid: 'changed' }, json: {} });
      expect(json.status).to.equal(415);
      const small = await startTestServer(fixture.db.pool, { importLimitBytes: 2048 });
      try {
        const client = apiClient(small.baseUrl, elsewhereToken);
        const tooLarge = await importText(client, 'changed', `${lines.join('\n')}\n`);
        expect(tooLarge.status).to.equal(413);
        expect(tooLarge.body.detail).to.include('IMPORT_LIMIT_BYTES');
      } finally {
        await small.close();
      }
      expect((await elsewhere.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'changed' } })).status).to.equal(404);
    });
  });

  it('an export taken during concurrent saves is a consistent prefix of the history', async () => {
    for (let n = 1; n <= 20; n++) await save('busy', stateAt(n));
    let writing = true;
    const writer = (async () => {
      for (let n = 21; writing && n < 400; n++) await save('busy', stateAt(n));
    })();
    const exports: string[] = [];
    for (let i = 0; i < 4; i++) exports.push(await exportText(fixture.api, 'busy'));
    writing = false;
    await writer;
    let previousHead = 0;
    for (const [i, text] of exports.entries()) {
      const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line));
      const head = lines[0].head_version as number;
      expect(head).to.be.at.least(previousHead);
      previousHead = head;
      expect(lines).to.have.length(head + 1);
      // Its versions are exactly the source's first `head` versions, and it imports whole.
      const imported = await importText(elsewhere, `busy-${i}`, text);
      expect(imported.status, imported.text).to.equal(201);
      const source = (await fixture.api.request('GET', '/v1/sessions/{sid}/history', { params: { sid: 'busy' }, query: { limit: 1000 } })).body.items
        .filter((item: { version: number }) => item.version <= head)
        .map((item: { state_hash: string }) => item.state_hash);
      const copy = (await elsewhere.request('GET', '/v1/sessions/{sid}/history', { params: { sid: `busy-${i}` }, query: { limit: 1000 } })).body.items
        .map((item: { state_hash: string }) => item.state_hash);
      expect(copy).to.deep.equal(source);
    }
  });

  it('the Node client exports as a stream and imports a stream or bytes', async () => {
    const client = createClient({ baseUrl: fixture.server.baseUrl, token: fixture.server.token });
    const chunks: Buffer[] = [];
    for await (const chunk of await client.exportSession('source')) chunks.push(Buffer.from(chunk));
    const file = Buffer.concat(chunks);
    const afterHeader = (text: string): string => text.slice(text.indexOf('\n'));
    expect(afterHeader(file.toString('utf8'))).to.equal(afterHeader(await exportText(fixture.api, 'source')));
    const copy = createClient({ baseUrl: fixture.server.baseUrl, token: elsewhereToken });
    async function* pieces(): AsyncGenerator<Uint8Array> {
      for (let at = 0; at < file.length; at += 1000) yield file.subarray(at, at + 1000);
    }
    expect(await copy.importSession('node-client', pieces())).to.deep.include({ session_id: 'node-client', first_version: 1, head_version: 31 });
    await expectSameVersions(fixture.api, 'source', elsewhere, 'node-client', 1, 31);
    const conflict = await copy.importSession('node-client', file).catch((error: SessionStoreError) => error);
    expect((conflict as SessionStoreError).status).to.equal(409);
    const bad = await copy.importSession('node-client-2', file.toString('utf8').replace('"kind":"save"', '"kind":"fork"')).catch((error: SessionStoreError) => error);
    expect((bad as SessionStoreError).status).to.equal(422);
    expect((bad as SessionStoreError).problem.line).to.equal(2);
    const missing = await client.exportSession('nobody').catch((error: SessionStoreError) => error);
    expect((missing as SessionStoreError).status).to.equal(404);
  });

  it('npm run export writes every session of a tenant to a folder, and npm run import brings them back into an empty database', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'i11-export-'));
    const fresh = await createTestDatabase();
    try {
      const env = { ...process.env, DATABASE_URL: formatDatabaseUrl(fixture.db.target) };
      const exported = await run(process.execPath, [join(projectRoot, 'dist/scripts/export.js'), '--tenant', 'default', '--out', folder], { env });
      expect(exported.stdout).to.match(/^exported \d+ session\(s\) of tenant default, \d+ version\(s\), in [\d.]+ s$/m);
      const files = (await readdir(join(folder, 'default'))).sort();
      expect(files).to.include.members(['source.ndjson', 'forked.ndjson', 'compacted.ndjson']);
      expect(files.some((file) => file.endsWith('.partial'))).to.equal(false);
      const paths = files.map((file) => join(folder, 'default', file));
      const imported = await run(process.execPath, [join(projectRoot, 'dist/scripts/import.js'), ...paths], {
        env: { ...process.env, DATABASE_URL: formatDatabaseUrl(fresh.target) },
      });
      expect(imported.stdout).to.match(new RegExp(`^imported ${files.length} of ${files.length} file\\(s\\)`, 'm'));
      expect(await verifyHistory(fresh.pool, 'default', 'source')).to.deep.include({ versions: 31 });
      expect(await verifyHistory(fresh.pool, 'default', 'compacted')).to.deep.include({ firstVersion: 18 });
      // A file that fails is named with its line; the others are imported all the same.
      const broken = join(folder, 'broken.ndjson');
      const text = await readFile(paths[0]!, 'utf8');
      await import('node:fs/promises').then((fs) => fs.writeFile(broken, text.replace('"session_id":"', '"session_id":"other-').replace(/"state_hash":"(.)/, '"state_hash":"$1$1').slice(0, -200)));
      const failed = await run(process.execPath, [join(projectRoot, 'dist/scripts/import.js'), broken], {
        env: { ...process.env, DATABASE_URL: formatDatabaseUrl(fresh.target) },
      }).catch((error: { code: number; stderr: string }) => error);
      expect((failed as { code: number }).code).to.equal(1);
      expect((failed as { stderr: string }).stderr).to.match(/broken\.ndjson: default\/other-\S+ not imported: line \d+ of the file: /);
    } finally {
      await rm(folder, { recursive: true, force: true });
      await fresh.drop();
    }
  });
});

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { startTestServer, type ApiResponse, useTestServer } from '../helpers/api.js';
import { waitFor } from '../helpers/waitFor.js';

const STATE = '/v1/sessions/{sid}/state';
const HISTORY = '/v1/sessions/{sid}/history';
const RESTORE = '/v1/sessions/{sid}/restore';
const FORK = '/v1/sessions/{sid}/fork';
const SESSION = '/v1/sessions/{sid}';

/** The store keeps exactly what it is given, or refuses it: it never silently changes input. */
describe('input is kept exactly or refused', () => {
  const fixture = useTestServer();
  let counter = 0;
  const newSid = (): string => `in${++counter}-${Date.now()}`;


  const putRaw = (sid: string, raw: string | Buffer, headers: Record<string, string> = {}) =>
    fixture.api.request('PUT', STATE, { params: { sid }, headers: { 'content-type': 'application/json', ...headers }, raw });
  const save = (sid: string, json: unknown, options: { headers?: Record<string, string>; query?: Record<string, string> } = {}) =>
    fixture.api.request('PUT', STATE, { params: { sid }, json, ...options });
  const loadText = async (sid: string): Promise<string> => (await fixture.api.request('GET', STATE, { params: { sid } })).text;
  const versionCount = async (sid: string): Promise<number> => {
    const [rows] = await fixture.db.pool.query('SELECT COUNT(*) AS n FROM events WHERE session_id = ?', [sid]);
    return Number((rows as Array<{ n: number }>)[0]!.n);
  };
  const expectProblem = (response: ApiResponse, status: number, detail?: RegExp): void => {
    expect(response.status, response.text).to.equal(status);
    expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
    if (detail) expect(response.body.detail).to.match(detail);
  };

  describe('bytes and charsets', () => {
    // "é" in Latin-1 is the single byte 0xE9, which is not UTF-8.
    const latin1Body = Buffer.concat([Buffer.from('{"name":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);

    it('refuses a body that is not UTF-8 (400), also when compressed, and writes nothing', async () => {
      for (const [raw, headers] of [
        [latin1Body, {}],
        [Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]), {}], // an encoded surrogate: not UTF-8
        [Buffer.from([0x22, 0xc0, 0xaf, 0x22]), {}], // an overlong "/"
        [Buffer.from([0x22, 0xe2, 0x82, 0x22]), {}], // a truncated sequence
        [gzipSync(latin1Body), { 'content-encoding': 'gzip' }],
      ] as Array<[Buffer, Record<string, string>]>) {
        const sid = newSid();
        expectProblem(await putRaw(sid, raw, headers), 400, /UTF-8/);
        expect(await versionCount(sid)).to.equal(0);
      }
    });

    it('refuses a charset other than UTF-8 (415), on PUT, PATCH and action bodies', async () => {
      const sid = newSid();
      await save(sid, { name: 'x' });
      for (const charset of ['latin1', 'ISO-8859-1', 'utf-16', 'klingon', '"windows-1252"']) {
        const type = `application/json; charset=${charset}`;
        expectProblem(await putRaw(sid, '{"name":"y"}', { 'content-type': type }), 415, /UTF-8/);
        expectProblem(
          await fixture.api.request('PATCH', STATE, { params: { sid }, headers: { 'content-type': `application/json-patch+json; charset=${charset}` }, raw: '[]' }),
          415,
        );
        expectProblem(await fixture.api.request('POST', RESTORE, { params: { sid }, headers: { 'content-type': type }, raw: '{"version":1}' }), 415);
      }
      expect(await versionCount(sid)).to.equal(1);
    });

    it('takes UTF-8 in any spelling of the charset, or none, and keeps every character', async () => {
      const sid = newSid();
      const spellings = ['', '; charset=utf-8', '; charset=UTF-8', '; Charset="utf-8"', '; charset=utf8', '; charset=UTF8'];
      for (const [i, suffix] of spellings.entries()) {
        const text = `olá 😀 ${i} \u2028 \ufffd`;
        const response = await putRaw(sid, Buffer.from(JSON.stringify({ text }), 'utf8'), { 'content-type': `application/json${suffix}` });
        expect(response.status, suffix).to.equal(201);
        expect(JSON.parse(await loadText(sid))).to.deep.equal({ text });
      }
    });

    it('reads gzip, deflate and br bodies, and identity, in any letter case', async () => {
      const sid = newSid();
      const body = Buffer.from(JSON.stringify({ text: 'olá 😀' }));
      const encodings: Array<[string, Buffer]> = [
        ['gzip', gzipSync(body)],
        ['deflate', deflateSync(body)],
        ['br', brotliCompressSync(body)],
        ['identity', body],
        ['GZIP', gzipSync(body)],
        ['Br', brotliCompressSync(body)],
      ];
      for (const [encoding, raw] of encodings) {
        const response = await putRaw(sid, raw, { 'content-encoding': encoding });
        expect(response.status, encoding).to.be.oneOf([200, 201]);
        expect(JSON.parse(await loadText(sid))).to.deep.equal({ text: 'olá 😀' });
      }
    });

    it('answers 400 to a corrupt compressed body and 415 to an unknown content coding', async () => {
      const sid = newSid();
      for (const encoding of ['gzip', 'deflate', 'br']) {
        expectProblem(await putRaw(sid, Buffer.from('this is not compressed at all'), { 'content-encoding': encoding }), 400);
      }
      expectProblem(await putRaw(sid, gzipSync('{"a":1}').subarray(0, 12), { 'content-encoding': 'gzip' }), 400);
      expectProblem(await putRaw(sid, '{"a":1}', { 'content-encoding': 'compress' }), 415);
      expect(await versionCount(sid)).to.equal(0);
    });

    it('holds a compressed body to the limit once inflated, and refuses a zip bomb early', async () => {
      const small = await startTestServer(fixture.db.pool, { bodyLimitBytes: 64 * 1024 });
      try {
        const sid = newSid();
        const big = Buffer.from(JSON.stringify({ blob: 'x'.repeat(100 * 1024) }));
        const response = await small.api.request('PUT', STATE, {
          params: { sid },
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          raw: gzipSync(big),
        });
        expectProblem(response, 413);
        // 64 gzip members of 16 MiB of zeros each: 1 MiB that inflates to 1 GiB. Refused as soon as
        // the inflated bytes pass the limit, not after inflating it all.
        const member = gzipSync(Buffer.alloc(16 * 1024 * 1024));
        const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
        const started = Date.now();
        const bombed = await small.api.request('PUT', STATE, {
          params: { sid },
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
          raw: bomb,
        });
        expectProblem(bombed, 413);
        expect(Date.now() - started).to.be.lessThan(3000);
        expect(await versionCount(sid)).to.equal(0);
      } finally {
        await small.close();
      }
    });

    it('answers a client that sends its whole body before reading, when the body is refused part way', async () => {
      // Python's http.client, urllib and requests write the whole body, then read the answer. The
      // server used to stop reading a chunked or compressed body at the refusal, so such a client
      // never finished writing and never saw its 413 or 400.
      const small = await startTestServer(fixture.db.pool, { bodyLimitBytes: 64 * 1024 });
      const { port } = new URL(small.baseUrl);
      const sixteenMiB = randomBytes(16 * 1024 * 1024);
      const cases: Array<[string, number, string, Buffer]> = [
        ['chunked, past the limit', 413, 'Transfer-Encoding: chunked', Buffer.concat([Buffer.from(`${sixteenMiB.length.toString(16)}\r\n`), sixteenMiB, Buffer.from('\r\n0\r\n\r\n')])],
        ['gzip, past the limit once inflated', 413, 'Content-Encoding: gzip', gzipSync(sixteenMiB, { level: 1 })],
        ['corrupt gzip', 400, 'Content-Encoding: gzip', Buffer.concat([gzipSync('{}').subarray(0, 10), sixteenMiB])],
      ];
      try {
        for (const [name, status, header, body] of cases) {
          const socket = connect(Number(port), '127.0.0.1');
          try {
            let answer = '';
            socket.on('data', (data: Buffer) => (answer += data.toString('latin1')));
            socket.on('error', () => undefined); // a reset shows as no answer
            const length = header.startsWith('Transfer-Encoding') ? '' : `Content-Length: ${body.length}\r\n`;
            const head = `PUT /v1/sessions/${newSid()}/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${small.token}\r\nContent-Type: application/json\r\n${header}\r\n${length}\r\n`;
            let written: Error | null | undefined;
            socket.write(Buffer.concat([Buffer.from(head), body]), (error) => (written = error ?? null));
            // Within moments: the server used to take it only once its keep-alive timeout (5 s
            // here, 65 s in main.ts) dropped the connection.
            await waitFor(() => written !== undefined, { what: `the server to take the whole ${name} body`, timeout: 3000 });
            expect(written, `${name}: the server cut the connection before taking the body`).to.equal(null);
            await waitFor(() => answer.includes('\r\n\r\n'), { what: `the answer to the ${name} body`, timeout: 10_000 });
            expect(answer.split('\r\n')[0], name).to.equal(`HTTP/1.1 ${status} ${status === 413 ? 'Payload Too Large' : 'Bad Request'}`);
          } finally {
            socket.destroy();
          }
        }
      } finally {
        await small.close();
      }
    });

    it('survives clients that hang up in the middle of a plain or compressed body, and a large corrupt body', async () => {
      const { port } = new URL(fixture.server.baseUrl);
      for (const encoding of ['identity', 'gzip', 'br']) {
        const arrived = new Promise<IncomingMessage>((resolve) => fixture.server.http.once('request', resolve));
        const socket = connect(Number(port), '127.0.0.1');
        await new Promise<void>((resolve) => socket.once('connect', resolve));
        const partial = encoding === 'gzip' ? gzipSync(randomBytes(50_000)) : encoding === 'br' ? brotliCompressSync(randomBytes(50_000)) : randomBytes(50_000);
        const head =
          `PUT /v1/sessions/${newSid()}/state HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${fixture.server.token}\r\n` +
          `Content-Type: application/json\r\nContent-Encoding: ${encoding}\r\nContent-Length: 100000\r\n\r\n`;
        socket.write(head);
        socket.write(partial.subarray(0, 20_000));
        // Hang up once the server reads the body (after the key check) and has taken in all that was sent.
        const request = await arrived;
        await waitFor(() => request.readableFlowing === true && request.socket.bytesRead >= Buffer.byteLength(head) + 20_000, {
          what: `the server to be reading the ${encoding} body`,
        });
        socket.destroy();
      }
      const sid = newSid();
      const corrupt = Buffer.concat([gzipSync('{}').subarray(0, 10), randomBytes(4 * 1024 * 1024)]);
      expectProblem(await putRaw(sid, corrupt, { 'content-encoding': 'gzip' }), 400, /not valid gzip/);
      expect((await save(sid, { still: 'answering' })).status).to.equal(201);
    });
  });

  describe('numbers', () => {
    it('refuses a number a double cannot hold exactly, naming where it is (400), and writes nothing', async () => {
      const cases: Array<[string, string]> = [
        ['{"a":[0,1,2,9007199254740993]}', '/a/3'],
        ['{"big":1e400}', '/big'],
        ['{"tiny":-1e-400}', '/tiny'],
        ['{"x":{"a/b~c":[[0.1000000000000000055511151231257827]]}}', '/x/a~1b~0c/0/0'],
        ['{"n":' + '1'.padEnd(400, '0') + '}', '/n'],
        ['12345678901234567890', ''],
      ];
      for (const [raw, path] of cases) {
        const sid = newSid();
        const response = await putRaw(sid, raw);
        expectProblem(response, 400, /cannot be stored exactly/);
        expect(response.body.detail).to.include(path === '' ? 'at the root' : `at ${path} `);
        expect(await versionCount(sid)).to.equal(0);
      }
      const deep = await putRaw(newSid(), '['.repeat(5000) + '1e400' + ']'.repeat(5000));
      expectProblem(deep, 400, /^the number at \/0\/0\/0.*… \(10000 characters\) \(1e400\) cannot be stored exactly/);
    });

    it('refuses such a number in a patch too, and in an action body', async () => {
      const sid = newSid();
      await save(sid, { a: 1 });
      const patched = await fixture.api.request('PATCH', STATE, {
        params: { sid },
        headers: { 'content-type': 'application/json-patch+json' },
        raw: '[{"op":"replace","path":"/a","value":9007199254740993}]',
      });
      expectProblem(patched, 400, /at \/0\/value \(9007199254740993\)/);
      const restored = await fixture.api.request('POST', RESTORE, { params: { sid }, headers: { 'content-type': 'application/json' }, raw: '{"version":1e400}' });
      expectProblem(restored, 400, /at \/version/);
      expect(await versionCount(sid)).to.equal(1);
    });

    it('keeps every number it accepts at the value sent; -0 is stored as 0', async () => {
      const sid = newSid();
      const raw =
        '{"s":"1e400 9007199254740993","1e400":[0.1,1.0,1e2,1E+2,123.4500,9007199254740992,5e-324,1.7976931348623157e308,' +
        '0.30000000000000004,-2.5,100000000000000000000,-0,-0.0e7]}';
      expect((await putRaw(sid, raw)).status).to.equal(201);
      expect(await loadText(sid)).to.equal(
        '{"s":"1e400 9007199254740993","1e400":[0.1,1,100,100,123.45,9007199254740992,5e-324,1.7976931348623157e+308,0.30000000000000004,-2.5,100000000000000000000,0,0]}',
      );
    });
  });

  describe('entity tags', () => {
    it('If-Match compares strongly: a weak tag, "01" or another tag never matches (412), a list matches any of its strong tags', async () => {
      const sid = newSid();
      await save(sid, { n: 1 });
      await save(sid, { n: 2 });
      for (const ifMatch of ['W/"2"', '"02"', '"2.0"', '"abc"', '"1", W/"2"', '""']) {
        const response = await save(sid, { n: 3 }, { headers: { 'if-match': ifMatch } });
        expectProblem(response, 412);
        expect(response.body.current_version, ifMatch).to.equal(2);
      }
      expect(await versionCount(sid)).to.equal(2);
      const listed = await save(sid, { n: 3 }, { headers: { 'if-match': '"1", "2"' } });
      expect(listed.status).to.equal(201);
      const patched = await fixture.api.request('PATCH', STATE, {
        params: { sid },
        headers: { 'content-type': 'application/json-patch+json', 'if-match': 'W/"3"' },
        raw: '[]',
      });
      expectProblem(patched, 412);
      expectProblem(await fixture.api.request('POST', RESTORE, { params: { sid }, headers: { 'if-match': '"03"' }, json: { version: 1 } }), 412);
      expectProblem(await fixture.api.request('DELETE', SESSION, { params: { sid }, headers: { 'if-match': 'W/"3"' } }), 412);
      expect((await fixture.api.request('DELETE', SESSION, { params: { sid }, headers: { 'if-match': '"7", "3"' } })).status).to.equal(204);
    });

    it('a malformed If-Match is still a 400', async () => {
      const sid = newSid();
      await save(sid, { n: 1 });
      for (const ifMatch of ['1', '"1', 'W/1', '"1" "2"', '*, "1"', '"2 "']) {
        expectProblem(await save(sid, { n: 2 }, { headers: { 'if-match': ifMatch } }), 400);
      }
    });

    it('If-None-Match on a read compares weakly: W/"1" matches version 1, "01" and unknown tags do not', async () => {
      const sid = newSid();
      await save(sid, { n: 1 });
      const get = (ifNoneMatch: string) => fixture.api.request('GET', STATE, { params: { sid }, headers: { 'if-none-match': ifNoneMatch } });
      expect((await get('W/"1"')).status).to.equal(304);
      expect((await get('"abc", W/"1"')).status).to.equal(304);
      expect((await get('"01"')).status).to.equal(200);
      expect((await get('"abc"')).status).to.equal(200);
      expectProblem(await get('1'), 400);
    });
  });

  describe('message and author length: characters (code points) everywhere', () => {
    const emoji = '😀'; // one character, two UTF-16 code units

    it('takes 1000 emoji as a message and 200 as an author in the query and in a body, and refuses one more in both', async () => {
      const sid = newSid();
      await save(sid, { n: 0 });
      const message = emoji.repeat(1000);
      const author = emoji.repeat(200);
      const saved = await save(sid, { n: 1 }, { query: { message, author } });
      expect(saved.status, saved.text).to.equal(201);
      const restored = await fixture.api.request('POST', RESTORE, { params: { sid }, json: { version: 1, message, author } });
      expect(restored.status, restored.text).to.equal(201);
      const forked = await fixture.api.request('POST', FORK, { params: { sid }, json: { to: newSid(), message, author } });
      expect(forked.status, forked.text).to.equal(201);
      const history = await fixture.api.request('GET', HISTORY, { params: { sid } });
      expect(history.body.items[0]).to.include({ message, author });
      expect(history.body.items[1]).to.include({ message, author });

      expectProblem(await save(sid, { n: 2 }, { query: { message: message + emoji } }), 400, /message/);
      expectProblem(await save(sid, { n: 2 }, { query: { author: author + emoji } }), 400, /author/);
      expectProblem(await fixture.api.request('POST', RESTORE, { params: { sid }, json: { version: 1, message: message + emoji } }), 400, /message/);
      expectProblem(await fixture.api.request('POST', RESTORE, { params: { sid }, json: { version: 1, author: author + emoji } }), 400, /author/);
      expectProblem(await fixture.api.request('POST', FORK, { params: { sid }, json: { to: newSid(), message: message + emoji } }), 400, /message/);
      expect(await versionCount(sid)).to.equal(3);
    });

    it('refuses a query value that is not percent-encoded UTF-8 instead of changing it', async () => {
      const sid = newSid();
      // "café" with é as the Latin-1 byte %E9: not UTF-8, it would become U+FFFD.
      const response = await fetch(`${fixture.server.baseUrl}/v1/sessions/${sid}/state?message=caf%E9`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${fixture.server.token}`, 'content-type': 'application/json' },
        body: '{"n":1}',
      });
      expect(response.status).to.equal(400);
      expect(((await response.json()) as { detail: string }).detail).to.match(/UTF-8/);
      expect(await versionCount(sid)).to.equal(0);
    });
  });

  describe('a version the session does not have', () => {
    it('is a 422 for restore and fork alike; a source session that does not exist is a 404 for both', async () => {
      const sid = newSid();
      await save(sid, { n: 1 });
      const restored = await fixture.api.request('POST', RESTORE, { params: { sid }, json: { version: 5 } });
      const forked = await fixture.api.request('POST', FORK, { params: { sid }, json: { to: newSid(), version: 5 } });
      expectProblem(restored, 422, /no version 5/);
      expectProblem(forked, 422, /no version 5/);
      const missing = newSid();
      expectProblem(await fixture.api.request('POST', RESTORE, { params: { sid: missing }, json: { version: 1 } }), 404);
      expectProblem(await fixture.api.request('POST', FORK, { params: { sid: missing }, json: { to: newSid(), version: 1 } }), 404);
    });
  });
});

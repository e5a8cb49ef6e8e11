import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { uiDir } from '../../src/paths.js';

interface ServerSentEvent {
  type: string;
  data: string;
  id: string;
}
interface SseParser {
  push(text: string): ServerSentEvent[];
  readonly retry: number | undefined;
  readonly lastEventId: string;
}

/**
 * The history page's reader of the change feed (ui/src/sse.ts, as built into dist/ui): it reads
 * the stream through fetch, since EventSource cannot send an Authorization header, so it parses
 * text/event-stream itself, from chunks cut anywhere.
 */
describe('history page: its Server-Sent Events parser', () => {
  let createSseParser: () => SseParser;
  before(async () => {
    ({ createSseParser } = (await import(pathToFileURL(join(uiDir, 'sse.js')).href)) as { createSseParser: () => SseParser });
  });

  const STREAM =
    '\uFEFF: heartbeat\r\n\r\n' +
    'id: 3\r\nevent: version\r\ndata: {"version":3,\r\ndata: "kind":"save"}\r\n\r\n' +
    'id: 4\nevent: version\ndata:{"version":4}\n\n' +
    'retry: 2500\nid\n\n' +
    'event: deleted\rdata: {"purged":false}\r\r' +
    'data: no blank line yet';

  const EXPECTED: ServerSentEvent[] = [
    { type: 'version', data: '{"version":3,\n"kind":"save"}', id: '3' },
    { type: 'version', data: '{"version":4}', id: '4' },
    { type: 'deleted', data: '{"purged":false}', id: '' },
  ];

  it('reads events, ids, types, multi-line data and comments, with LF, CR or CRLF line ends', () => {
    const parser = createSseParser();
    expect(parser.push(STREAM)).to.deep.equal(EXPECTED);
    expect(parser.retry).to.equal(2500);
    // `id` with no value resets what Last-Event-ID would resume from.
    expect(parser.lastEventId).to.equal('');
  });

  it('gives the same events whatever the chunks the stream arrives in, a CRLF split in two included', () => {
    for (const size of [1, 2, 3, 5, 7, 16, 64]) {
      const parser = createSseParser();
      const events: ServerSentEvent[] = [];
      for (let i = 0; i < STREAM.length; i += size) events.push(...parser.push(STREAM.slice(i, i + size)));
      expect(events, `chunks of ${size}`).to.deep.equal(EXPECTED);
    }
  });

  it('dispatches nothing for an event whose data never came, and ignores unknown fields', () => {
    const parser = createSseParser();
    expect(parser.push('event: version\nid: 7\n\nfoo: bar\ndata: x\n\n')).to.deep.equal([{ type: 'message', data: 'x', id: '7' }]);
    expect(parser.lastEventId).to.equal('7');
  });
});

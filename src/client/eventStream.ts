/** One Server-Sent Event (a block of lines ended by a blank line), as the WHATWG spec reads it. */
export interface ServerSentEvent {
  /** The `id` field, when the block had one: also sent without data, to say where a stream stands. */
  id: string | undefined;
  /** `message` when the block named none. */
  event: string;
  /** The data lines joined with line feeds; empty for a block without data (not an event). */
  data: string;
}

/**
 * The blocks of a text/event-stream body, in order. Comments (heartbeats) are skipped; a block
 * with an id and no data is given too, since it moves the id a client resumes from.
 */
export async function* readEventStream(body: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | undefined;
  let event: string | undefined;
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const end = nextLineEnd(buffer, start);
      if (end === -1) break;
      const line = buffer.slice(start, end);
      start = end + (buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1);
      if (line === '') {
        if (id !== undefined || data.length > 0) yield { id, event: event ?? 'message', data: data.join('\n') };
        id = undefined;
        event = undefined;
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (field === 'id') id = value;
      else if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
    }
    buffer = buffer.slice(start);
  }
}

/** Where the line starting at `from` ends (CR, LF or CRLF), or -1; a CR last in the buffer waits for what follows. */
function nextLineEnd(buffer: string, from: number): number {
  for (let i = from; i < buffer.length; i++) {
    const c = buffer[i];
    if (c === '\n') return i;
    if (c === '\r') return i + 1 < buffer.length ? i : -1;
  }
  return -1;
}

/**
 * A parser of text/event-stream (the HTML standard's "Server-sent events" interpretation rules),
 * fed the decoded text as it arrives in chunks of any size. The page reads the change feed with
 * fetch() rather than EventSource because EventSource cannot send an Authorization header, and the
 * key must never be in a URL or a cookie.
 */
export interface ServerSentEvent {
  /** The `event:` field, `message` when none was given. */
  type: string;
  data: string;
  /** The last `id:` seen so far in the stream (what Last-Event-ID resumes from), '' if none. */
  id: string;
}

export interface SseParser {
  /** Feeds text; returns the events it completed. */
  push(text: string): ServerSentEvent[];
  /** The `retry:` the server asked for, in milliseconds, if any. */
  readonly retry: number | undefined;
  readonly lastEventId: string;
}

export function createSseParser(): SseParser {
  let buffer = '';
  let started = false;
  let pendingCR = false;
  let data: string[] = [];
  let type = '';
  let lastEventId = '';
  let retry: number | undefined;

  function line(text: string, events: ServerSentEvent[]): void {
    if (text === '') {
      if (data.length > 0) events.push({ type: type || 'message', data: data.join('\n'), id: lastEventId });
      data = [];
      type = '';
      return;
    }
    if (text.startsWith(':')) return; // a comment: the feed's heartbeat
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        data.push(value);
        break;
      case 'event':
        type = value;
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) retry = Number(value);
        break;
      default: // unknown fields are ignored
    }
  }

  return {
    push(text) {
      const events: ServerSentEvent[] = [];
      buffer += text;
      if (!started && buffer.length > 0) {
        if (buffer.startsWith('\uFEFF')) buffer = buffer.slice(1);
        started = true;
      }
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char === '\n' && pendingCR) {
          // the LF of a CRLF whose CR ended the previous line
          pendingCR = false;
          start = i + 1;
          continue;
        }
        pendingCR = false;
        if (char === '\r' || char === '\n') {
          line(buffer.slice(start, i), events);
          pendingCR = char === '\r';
          start = i + 1;
        }
      }
      buffer = buffer.slice(start);
      return events;
    },
    get retry() {
      return retry;
    },
    get lastEventId() {
      return lastEventId;
    },
  };
}

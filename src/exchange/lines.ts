import { PayloadTooLargeError } from '../errors.js';

/**
 * The lines of a byte stream (split at "\n", a final line without one included), as Buffers,
 * holding at most one line and one chunk at a time; a line longer than `maxLineBytes` is refused.
 */
export async function* splitLines(input: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Buffer, void, undefined> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineNumber = 1;
  for await (const chunk of input) {
    let start = 0;
    for (let end = chunk.indexOf(10, start); end !== -1; end = chunk.indexOf(10, start)) {
      const tail = chunk.subarray(start, end);
      if (partBytes + tail.length > maxLineBytes) throw lineTooLong(lineNumber, maxLineBytes);
      yield parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
      parts = [];
      partBytes = 0;
      lineNumber++;
      start = end + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      partBytes += rest.length;
      if (partBytes > maxLineBytes) throw lineTooLong(lineNumber, maxLineBytes);
      parts.push(rest);
    }
  }
  if (partBytes > 0) yield Buffer.concat(parts);
}

function lineTooLong(line: number, max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`line ${line} of the file is longer than ${max} bytes, the most one version may take`, { line });
}

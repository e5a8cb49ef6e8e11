/**
 * Numbers a double cannot hold exactly. JSON.parse turns `1e400` into Infinity (stored as null),
 * `9007199254740993` into ...992 and `1e-400` into 0, silently. The store keeps what it is given
 * or refuses it, and what it gives back is the shortest decimal that reads as the stored double
 * (what JSON.stringify writes). So a number is accepted when its decimal value equals the value
 * of that shortest form: `0.1`, `1.0`, `1E+2`, `123.4500` are; `9007199254740993`, `1e400`,
 * `1e-400` are not, and neither is `0.1000000000000000055511151231257827` (the exact value of the
 * double nearest 0.1, which would come back as `0.1`). `-0` equals `0` as a decimal value and is
 * accepted; it comes back as `0` (JSON itself gives negative zero no meaning of its own).
 */

/**
 * The first number in `text` (known to be valid JSON) whose value a double cannot hold exactly,
 * with the RFC 6901 JSON Pointer of where it is ("" for the root), or undefined. Fast on large
 * bodies: a text with no candidate anywhere (even inside strings) is passed by one cheap scan,
 * and only candidates are parsed and compared.
 */
export function findInexactNumber(text: string): { path: string; literal: string } | undefined {
  if (!mayBeInexact(text, 0, text.length)) return undefined;
  // A tokenizer that keeps the path: one frame per open container; for an object, the slice of
  // its current key (decoded only if it is needed for a path).
  const frames: Array<{ array: boolean; index: number; keyStart: number; keyEnd: number; expectKey: boolean }> = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const end = stringEnd(text, i);
      const top = frames[frames.length - 1];
      if (top && !top.array && top.expectKey) {
        top.keyStart = i;
        top.keyEnd = end;
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      i++;
      while (i < length && isNumberChar(text.charCodeAt(i))) i++;
      if (mayBeInexact(text, start, i)) {
        const literal = text.slice(start, i);
        if (!isExactNumber(literal)) return { path: pointerOf(text, frames), literal };
      }
    } else if (c === 0x7b /* { */) {
      frames.push({ array: false, index: 0, keyStart: 0, keyEnd: 0, expectKey: true });
      i++;
    } else if (c === 0x5b /* [ */) {
      frames.push({ array: true, index: 0, keyStart: 0, keyEnd: 0, expectKey: false });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      frames.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1]!;
      if (top.array) top.index++;
      else top.expectKey = true;
      i++;
    } else {
      i++; // whitespace, ':', and the letters of true, false and null
    }
  }
  return undefined;
}

/**
 * Whether the double that `literal` (a JSON number) parses to has the same decimal value: its
 * shortest round-trip form, normalised, equals the literal, normalised.
 */
export function isExactNumber(literal: string): boolean {
  const value = Number(literal);
  if (!Number.isFinite(value)) return false;
  const sent = normalise(literal);
  const kept = normalise(String(value));
  if (sent.digits === '') return kept.digits === ''; // a zero, -0 included, is kept as 0
  return sent.negative === kept.negative && sent.digits === kept.digits && sent.exponent === kept.exponent;
}

/** A decimal as sign × digits × 10^exponent, digits without leading or trailing zeros ('' for 0). */
function normalise(decimal: string): { negative: boolean; digits: string; exponent: number } {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(decimal);
  if (!match) throw new Error(`not a JSON number: ${decimal}`);
  const fraction = match[3] ?? '';
  const all = match[2]! + fraction;
  const trimmedStart = all.replace(/^0+/, '');
  const digits = trimmedStart.replace(/0+$/, '');
  // An exponent too large to count exactly only comes with a value that overflows or underflows,
  // which isExactNumber decides before the exponent matters.
  const exponent = Number(match[4] ?? '0') - fraction.length + (trimmedStart.length - digits.length);
  return { negative: match[1] === '-', digits, exponent };
}

/**
 * Whether text[start, end) holds anything that could be an inexact number: a run of 16 or more
 * digits (dots between them allowed; leading zeros counted, so that long runs of zeros are caught
 * too) or an e/E with an exponent of 3 or more digits. A literal with at most 15 digits and an
 * exponent under 100 lies well inside the normal range of doubles, and every such decimal is read
 * back exactly (15 = DBL_DIG), so it needs no closer look. A loop rather than a regex: about twice
 * as fast on a 16 MB body.
 */
function mayBeInexact(text: string, start: number, end: number): boolean {
  let digits = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      if (++digits >= 16) return true;
    } else if (c !== 0x2e /* . */) {
      digits = 0;
      if (c === 0x65 /* e */ || c === 0x45 /* E */) {
        let j = i + 1;
        const sign = text.charCodeAt(j);
        if (sign === 0x2b /* + */ || sign === 0x2d /* - */) j++;
        if (isDigit(text.charCodeAt(j)) && isDigit(text.charCodeAt(j + 1)) && isDigit(text.charCodeAt(j + 2))) return true;
      }
    }
  }
  return false;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isNumberChar(c: number): boolean {
  // 0-9 . e E + -
  return isDigit(c) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d;
}

/** The index just past the closing quote of the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return text.length; // not reached for valid JSON
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

function pointerOf(text: string, frames: ReadonlyArray<{ array: boolean; index: number; keyStart: number; keyEnd: number }>): string {
  let path = '';
  for (const frame of frames) {
    const token = frame.array ? String(frame.index) : (JSON.parse(text.slice(frame.keyStart, frame.keyEnd)) as string);
    path += '/' + token.replace(/~/g, '~0').replace(/\//g, '~1');
  }
  return path;
}

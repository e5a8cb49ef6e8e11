import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { Context } from 'koa';
import { FIRST_INSTANT, LAST_INSTANT, parseInstant } from '../core/time.js';
import { ValidationError } from '../errors.js';
import type { WriteConditions } from '../sessions/writeState.js';

/** JSON Schema (draft 2020-12 subset) for request parts; the same shapes are in openapi.yaml. */
export const ajv = new Ajv({ allErrors: false, strict: true, strictRequired: false, allowUnionTypes: true });

export const SESSION_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$';
const sessionIdRegex = new RegExp(SESSION_ID_PATTERN);

export function sessionIdParam(ctx: Context, name = 'sid'): string {
  const value = (ctx.params as Record<string, string | undefined>)[name] ?? '';
  assertSessionId(value, 'the session id');
  return value;
}

export function assertSessionId(value: string, what: string): void {
  if (!sessionIdRegex.test(value)) {
    throw new ValidationError(
      `${what} must be 1 to 128 characters of A-Z a-z 0-9 . _ : @ -, starting with a letter or digit`,
    );
  }
}

/** How a query parameter is checked and converted. */
export interface QueryParameter<T> {
  /** What a good value looks like, for the error message. */
  expects: string;
  parse: (raw: string) => T | undefined;
}

export const positiveInteger: QueryParameter<number> = {
  expects: 'a whole number from 1',
  parse: (raw) => (/^[1-9]\d{0,9}$/.test(raw) && Number(raw) <= 4294967295 ? Number(raw) : undefined),
};

export function integerBetween(min: number, max: number): QueryParameter<number> {
  return {
    expects: `a whole number from ${min} to ${max}`,
    parse: (raw) => {
      if (!/^\d{1,10}$/.test(raw)) return undefined;
      const value = Number(raw);
      return value >= min && value <= max ? value : undefined;
    },
  };
}

export const instant: QueryParameter<string> = {
  expects: `an RFC 3339 date-time such as 2026-01-31T12:00:00.000000Z, from ${FIRST_INSTANT} to ${LAST_INSTANT} once its offset is applied`,
  // An unencoded "+02:00" offset arrives as " 02:00" (a query string reads + as a space).
  parse: (raw) => parseInstant(raw.replace(/ (\d{2}:\d{2})$/, '+$1')),
};

export const booleanFlag: QueryParameter<boolean> = {
  expects: 'true or false',
  parse: (raw) => (raw === 'true' ? true : raw === 'false' ? false : undefined),
};

/**
 * Text of at most `maxLength` characters, counted as Unicode code points (an emoji is one), as
 * ajv's maxLength counts them in bodies: one rule for a message wherever it is sent.
 */
export function text(maxLength: number, pattern?: RegExp): QueryParameter<string> {
  return {
    expects: `text of at most ${maxLength} characters${pattern ? ` matching ${pattern.source}` : ''}`,
    parse: (raw) => (codePointLength(raw) <= maxLength && (!pattern || pattern.test(raw)) ? raw : undefined),
  };
}

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

type ParsedQuery<S extends Record<string, QueryParameter<unknown>>> = {
  [K in keyof S]: S[K] extends QueryParameter<infer T> ? T | undefined : never;
};

/**
 * Checks the query string against the parameters a route accepts: an unknown parameter, a
 * repeated one or a bad value is a 400 that names it.
 */
export function parseQuery<S extends Record<string, QueryParameter<unknown>>>(ctx: Context, spec: S): ParsedQuery<S> {
  // Koa's parser turns bytes that are not UTF-8 (%E9) into U+FFFD: refuse them instead.
  for (const part of ctx.querystring.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw new ValidationError(`the query string is not percent-encoded UTF-8 (at "${part.slice(0, 100)}")`);
    }
  }
  const result: Record<string, unknown> = {};
  const query = ctx.query;
  for (const name of Object.keys(query)) {
    if (!Object.prototype.hasOwnProperty.call(spec, name)) {
      const known = Object.keys(spec);
      throw new ValidationError(
        `unknown query parameter "${name}"${known.length ? `; this route takes ${known.join(', ')}` : '; this route takes none'}`,
      );
    }
  }
  for (const [name, parameter] of Object.entries(spec)) {
    const raw = query[name];
    if (raw === undefined) continue;
    if (Array.isArray(raw)) throw new ValidationError(`query parameter "${name}" is given more than once`);
    const value = parameter.parse(raw);
    if (value === undefined) throw new ValidationError(`query parameter "${name}" must be ${parameter.expects}, not "${raw}"`);
    result[name] = value;
  }
  return result as ParsedQuery<S>;
}

/** Compiles a body schema once; `check` answers 400 with ajv's first complaint, located. */
export function bodyValidator<T>(schema: object, what: string): (value: unknown) => T {
  const validate: ValidateFunction = ajv.compile(schema);
  return (value: unknown): T => {
    if (!validate(value)) throw new ValidationError(`${what}: ${describeAjvError(validate.errors?.[0])}`);
    return value as T;
  };
}

function describeAjvError(error: ErrorObject | undefined): string {
  if (!error) return 'invalid';
  const where = error.instancePath ? `at ${error.instancePath} ` : '';
  if (error.keyword === 'additionalProperties') {
    return `${where}unknown member "${(error.params as { additionalProperty: string }).additionalProperty}"`;
  }
  if (error.keyword === 'required') return `${where}missing member "${(error.params as { missingProperty: string }).missingProperty}"`;
  return `${where}${error.message ?? 'invalid'}`;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
// One entity-tag (RFC 9110 §8.8.3): an optional W/ and an opaque tag in double quotes.
const ENTITY_TAG = /(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/y;
// The tags this server sends: a version, in its one decimal spelling.
const VERSION_TAG = /^[1-9]\d{0,9}$/;

/**
 * The entity tags of an If-Match or If-None-Match list (`"1", W/"2"`), or undefined when the
 * header is not such a list.
 */
function parseEntityTags(raw: string): Array<{ weak: boolean; opaque: string }> | undefined {
  const tags: Array<{ weak: boolean; opaque: string }> = [];
  let expectTag = true;
  let i = 0;
  while (i < raw.length) {
    const c = raw[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === ',') {
      expectTag = true;
      i++;
    } else {
      ENTITY_TAG.lastIndex = i;
      const match = expectTag ? ENTITY_TAG.exec(raw) : null;
      if (!match) return undefined;
      tags.push({ weak: match[1] !== undefined, opaque: match[2]! });
      expectTag = false;
      i = ENTITY_TAG.lastIndex;
    }
  }
  return tags.length > 0 ? tags : undefined;
}

/** The versions named by these tags; a tag that is not one this server sends names none. */
function versionsOf(tags: Array<{ opaque: string }>): Set<number> {
  return new Set(tags.filter((tag) => VERSION_TAG.test(tag.opaque)).map((tag) => Number(tag.opaque)));
}

/**
 * If-Match: "*", or the versions it names. It compares strongly (RFC 9110 §13.1.1): a weak tag
 * (W/"2") never matches, nor does a tag this server never sends ("02"); a list matches if any of
 * its tags does. So the set can be empty: then no head matches (412).
 */
export function ifMatchHeader(ctx: Context): ReadonlySet<number> | '*' | undefined {
  const raw = ctx.get('If-Match');
  if (!raw) return undefined;
  if (raw.trim() === '*') return '*';
  const tags = parseEntityTags(raw);
  if (!tags) throw new ValidationError('If-Match must be "*" or entity tags such as "3" (the version, in double quotes)');
  return versionsOf(tags.filter((tag) => !tag.weak));
}

/**
 * The versions named by If-None-Match on a read, for a 304. It compares weakly (RFC 9110
 * §13.1.2): W/"2" names version 2; "02" or a foreign tag names none.
 */
export function ifNoneMatchVersions(ctx: Context): Set<number> | '*' | undefined {
  const raw = ctx.get('If-None-Match');
  if (!raw) return undefined;
  if (raw.trim() === '*') return '*';
  const tags = parseEntityTags(raw);
  if (!tags) throw new ValidationError('If-None-Match must be "*" or entity tags such as "3"');
  return versionsOf(tags);
}

/** The preconditions and idempotency key of a write request. */
export function writeConditions(ctx: Context, metadata: { message?: string | undefined; author?: string | undefined } = {}): WriteConditions {
  const ifNoneMatch = ctx.get('If-None-Match');
  if (ifNoneMatch && ifNoneMatch.trim() !== '*') {
    throw new ValidationError('on a write, If-None-Match may only be "*" (create only)');
  }
  const key = ctx.get('Idempotency-Key');
  if (key && !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError('Idempotency-Key must be 1 to 255 visible ASCII characters');
  }
  return {
    ifMatch: ifMatchHeader(ctx),
    createOnly: ifNoneMatch.trim() === '*',
    idempotencyKey: key || undefined,
    message: metadata.message,
    author: metadata.author,
  };
}

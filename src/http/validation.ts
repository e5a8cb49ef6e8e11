import type { Labels } from '../store/eventMetadata.js';
import { checkLabels } from '../core/labels.js';
import type { RouterContext } from '@koa/router';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Context } from 'koa';
import type { operations } from '../contract/types.js';
import {
  describeFailure,
  HTTP_METHODS,
  openapi,
  pointer,
  resolveRef,
  schemaValidator,
  type HttpMethod,
  type OperationObject,
  type ParameterObject,
  type PathItemObject,
} from '../core/contract.js';
import { FIRST_INSTANT, LAST_INSTANT, parseInstant, type DbInstant } from '../core/time.js';
import { ValidationError } from '../errors.js';
import type { WriteConditions } from '../sessions/writeState.js';
import { assertNoBody, readJsonBody, readJsonText } from './body.js';

/**
 * Every request is checked against its operation in openapi.yaml: path parameters, query
 * parameters and headers each against the schema the spec gives it, and small JSON bodies against
 * the operation's request body schema (states and patches are checked by the state tasks, the
 * patch against the spec's JsonPatch schema). A failure is a 400 that names the parameter, header
 * or member, what the spec expects, and what was sent.
 *
 * What the code adds, because an OpenAPI document cannot say it:
 * - a query string must be percent-encoded UTF-8, and a parameter may be given once;
 * - a query parameter the operation does not declare is refused (the spec's convention);
 * - a write refuses an If-Match or If-None-Match its operation does not declare;
 * - an instant must fall from 0001 to 9999 once its offset is applied (instantWithin);
 * - a query parameter's text is read as the type its schema declares, in one spelling only
 *   (`10`, not `010`, `+10` or `1e1`), and an unencoded `+` in a date-time's offset as a `+`.
 * The JSON checks every body gets (depth, `__proto__`, inexact numbers) are parseJsonDocument's.
 */

export type OperationId = keyof operations;

/** A part of a request as openapi-typescript types it, `{}` when the operation has none. */
type Part<T> = [Exclude<T, undefined>] extends [never] ? Record<string, never> : Exclude<T, undefined>;
type ParametersOf<Op extends OperationId> = operations[Op]['parameters'];

export interface CheckedRequest<Op extends OperationId> {
  path: Part<ParametersOf<Op>['path']>;
  /** The query parameters sent, as their types; date-times as DbInstants (UTC). */
  query: Part<ParametersOf<Op>['query']>;
  /** The headers the operation declares, as sent, by the spec's spelling of their names. */
  headers: Part<ParametersOf<Op>['header']>;
}

export type RequestBody<Op extends OperationId> = operations[Op] extends { requestBody: { content: infer C } } ? C[keyof C] : never;

interface ParameterRule {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  /** The type the text of a path or query parameter is read as. */
  type: string | undefined;
  dateTime: boolean;
  validate: ValidateFunction;
}

interface OperationRules {
  method: string;
  path: string;
  parameters: ParameterRule[];
  body: { mediaType: string; validate: ValidateFunction } | undefined;
}

const rulesById = new Map<string, OperationRules>();
for (const [path, item] of Object.entries(openapi.paths)) {
  for (const method of HTTP_METHODS) {
    const operation = item[method];
    if (operation) rulesById.set(operation.operationId, compileOperation(path, method, item, operation));
  }
}

function compileOperation(path: string, method: HttpMethod, item: PathItemObject, operation: OperationObject): OperationRules {
  const declared = [
    ...(item.parameters ?? []).map((parameter, i) => ({ parameter, at: ['paths', path, 'parameters', String(i)] })),
    ...(operation.parameters ?? []).map((parameter, i) => ({ parameter, at: ['paths', path, method, 'parameters', String(i)] })),
  ];
  const parameters: ParameterRule[] = [];
  for (const { parameter: declaration, at } of declared) {
    const parameter = resolveRef<ParameterObject>(declaration);
    if (parameter.in === 'cookie') continue;
    const tokens = '$ref' in declaration ? declaration.$ref.replace(/^#\//, '').split('/') : at;
    const schema = resolveRef(parameter.schema);
    // An operation's own declaration of a parameter replaces its path's.
    const index = parameters.findIndex((rule) => rule.in === parameter.in && rule.name === parameter.name);
    if (index !== -1) parameters.splice(index, 1);
    parameters.push({
      name: parameter.name,
      in: parameter.in,
      required: parameter.required ?? false,
      type: typeof schema.type === 'string' ? schema.type : undefined,
      dateTime: schema.format === 'date-time',
      validate: schemaValidator(pointer(...tokens, 'schema')),
    });
  }
  const mediaType = Object.keys(operation.requestBody?.content ?? {})[0];
  const body =
    mediaType === undefined
      ? undefined
      : { mediaType, validate: schemaValidator(pointer('paths', path, method, 'requestBody', 'content', mediaType, 'schema')) };
  return { method: method.toUpperCase(), path, parameters, body };
}

/**
 * The rules of the operation a route says it serves. A route naming another operation than the
 * one its method and path are in the spec is a bug, caught on its first request.
 */
function rulesFor(ctx: RouterContext, operationId: OperationId): OperationRules {
  const rules = rulesById.get(operationId)!;
  const route = String(ctx._matchedRoute ?? '').replace(/:(\w+)/g, '{$1}');
  const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
  if (route !== rules.path || method !== rules.method) {
    throw new Error(`${method} ${route} checks its request as ${operationId}, which is ${rules.method} ${rules.path}`);
  }
  return rules;
}

/** Checks a request's path, query and headers against its operation; a route's first step. */
export function checkRequest<Op extends OperationId>(ctx: RouterContext, operationId: Op): CheckedRequest<Op> {
  const rules = rulesFor(ctx, operationId);
  checkQueryString(ctx, rules);
  const values: Record<ParameterRule['in'], Record<string, unknown>> = { path: {}, query: {}, header: {} };
  for (const parameter of rules.parameters) {
    const raw = sentText(ctx, parameter);
    if (raw === undefined) {
      if (parameter.required) throw new ValidationError(`${describeParameter(parameter)} is missing`);
      continue;
    }
    values[parameter.in][parameter.name] = checkedValue(parameter, raw);
  }
  refuseUndeclaredPreconditions(ctx, rules);
  if (!rules.body) assertNoBody(ctx);
  return { path: values.path, query: values.query, headers: values.header } as unknown as CheckedRequest<Op>;
}

/** The body of a save or patch, as JSON text of the operation's media type: the state tasks parse and check it. */
export function requestText(ctx: RouterContext, operationId: OperationId): string {
  return readJsonText(ctx, rulesFor(ctx, operationId).body!.mediaType);
}

/** A small JSON body (restore, fork, a key): parsed, and held to the operation's schema. */
export function requestDocument<Op extends OperationId>(ctx: RouterContext, operationId: Op, maxDepth: number): RequestBody<Op> {
  const body = rulesFor(ctx, operationId).body!;
  const value = readJsonBody(ctx, body.mediaType, maxDepth);
  if (!body.validate(value)) throw new ValidationError(describeFailure(body.validate.errors ?? [], { root: 'the request body' }));
  return value as RequestBody<Op>;
}

function describeParameter(parameter: ParameterRule): string {
  return parameter.in === 'header' ? parameter.name : `${parameter.in} parameter "${parameter.name}"`;
}

function checkQueryString(ctx: Context, rules: OperationRules): void {
  // Koa's parser turns bytes that are not UTF-8 (%E9) into U+FFFD: refuse them instead.
  for (const part of ctx.querystring.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      throw new ValidationError(`the query string is not percent-encoded UTF-8 (at "${part.slice(0, 100)}")`);
    }
  }
  const known = rules.parameters.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
  for (const name of Object.keys(ctx.query)) {
    if (!known.includes(name)) {
      throw new ValidationError(`unknown query parameter "${name}"; this route takes ${known.length ? known.join(', ') : 'none'}`);
    }
  }
}

function sentText(ctx: RouterContext, parameter: ParameterRule): string | undefined {
  switch (parameter.in) {
    case 'path':
      return (ctx.params as Record<string, string | undefined>)[parameter.name];
    case 'header':
      return ctx.get(parameter.name) || undefined;
    case 'query': {
      const raw = ctx.query[parameter.name];
      if (Array.isArray(raw)) throw new ValidationError(`query parameter "${parameter.name}" is given more than once`);
      return raw;
    }
  }
}

function checkedValue(parameter: ParameterRule, raw: string): unknown {
  // A query string reads an unencoded + as a space: an offset "+02:00" arrives as " 02:00".
  const text = parameter.dateTime && parameter.in === 'query' ? raw.replace(/ (\d{2}:\d{2})$/, '+$1') : raw;
  const value = parameter.in === 'header' ? text : typed(text, parameter.type);
  if (!parameter.validate(value)) {
    throw new ValidationError(describeFailure(parameter.validate.errors ?? [], { root: describeParameter(parameter), sent: raw }));
  }
  return parameter.dateTime ? instantWithin(text, describeParameter(parameter)) : value;
}

/**
 * The text of a path or query parameter as the type its schema declares, when it is spelled as
 * one (in one spelling: `10`, not `010` or `1e1`); else the text itself, for the schema to refuse.
 */
function typed(text: string, type: string | undefined): unknown {
  if (type === 'integer' && /^-?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (type === 'number' && /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(text)) return Number(text);
  if (type === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/**
 * An RFC 3339 date-time (its syntax already held to the spec's `date-time` format) as a DbInstant,
 * or a 400 naming `what`: once its offset is applied it must fall in the years 0001 to 9999, a rule
 * no schema can say.
 */
export function instantWithin(text: string, what: string): DbInstant {
  const instant = parseInstant(text);
  if (instant === undefined) {
    throw new ValidationError(`${what} must be an RFC 3339 date-time from ${FIRST_INSTANT} to ${LAST_INSTANT} once its offset is applied, not "${text}"`);
  }
  return instant;
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);
const PRECONDITIONS = ['If-Match', 'If-None-Match'];

/**
 * A write refuses a precondition its operation does not declare (an OpenAPI document cannot
 * forbid a header): the client meant the write to be conditional, and nothing would check it.
 */
function refuseUndeclaredPreconditions(ctx: Context, rules: OperationRules): void {
  if (!WRITE_METHODS.has(ctx.method)) return;
  const headers = rules.parameters.filter((parameter) => parameter.in === 'header').map((parameter) => parameter.name);
  for (const name of PRECONDITIONS) {
    if (ctx.get(name) && !headers.includes(name)) {
      throw new ValidationError(`${ctx.method} ${rules.path} takes no ${name}${headers.length ? ` (its headers: ${headers.join(', ')})` : ''}`);
    }
  }
}

// One entity-tag (RFC 9110 §8.8.3), in a header whose form the spec's EntityTags pattern has checked.
const ENTITY_TAG = /(W\/)?"([^"]*)"/g;
// The tags this server sends: a version, in its one decimal spelling.
const VERSION_TAG = /^[1-9]\d{0,9}$/;

/** The versions named by the tags of an If-Match or If-None-Match list (`"1", W/"2"`); `*` as is. */
function namedVersions(raw: string, { strong }: { strong: boolean }): Set<number> | '*' {
  if (raw.trim() === '*') return '*';
  const tags = [...raw.matchAll(ENTITY_TAG)].filter((match) => !strong || match[1] === undefined).map((match) => match[2]!);
  return new Set(tags.filter((tag) => VERSION_TAG.test(tag)).map(Number));
}

/**
 * The versions named by If-None-Match on a read, for a 304. It compares weakly (RFC 9110
 * §13.1.2): W/"2" names version 2; "02" or a foreign tag names none.
 */
export function ifNoneMatchVersions(raw: string | undefined): Set<number> | '*' | undefined {
  return raw === undefined ? undefined : namedVersions(raw, { strong: false });
}

/**
 * The preconditions and idempotency key of a write, from its checked headers. If-Match compares
 * strongly (RFC 9110 §13.1.1): a weak tag (W/"2") never matches, nor does a tag this server never
 * sends ("02"); a list matches if any of its tags does. So the set can be empty: then no head
 * matches (412).
 */
export function writeConditions(
  headers: { 'If-Match'?: string; 'If-None-Match'?: string; 'Idempotency-Key'?: string },
  metadata: { message?: string | undefined; author?: string | undefined; labels?: string | undefined } = {},
): WriteConditions {
  return {
    labels: labelsParameter(metadata.labels),
    ifMatch: headers['If-Match'] === undefined ? undefined : namedVersions(headers['If-Match'], { strong: true }),
    createOnly: headers['If-None-Match'] === '*',
    idempotencyKey: headers['Idempotency-Key'],
    message: metadata.message,
    author: metadata.author,
  };
}


/**
 * The `labels` query parameter (writes and the history filter): a JSON object of at most 64
 * names to strings, as openapi.yaml's `Labels` says (its length, at most 1000 characters, is the
 * parameter's maxLength). OpenAPI cannot declare a JSON document in a query parameter, so its
 * rules are checked here.
 */
export function labelsParameter(text: string | undefined): Labels | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ValidationError('query parameter "labels" is not JSON: give an object of label names to strings');
  }
  return checkLabels(value, 'query parameter "labels"', (detail) => new ValidationError(detail));
}

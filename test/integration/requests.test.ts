import { expect } from 'chai';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { createKey } from '../../src/access/keys.js';
import { isDateTime } from '../../src/core/time.js';
import { apiClient, type Api, type RequestOptions, useTestServer } from '../helpers/api.js';
import { spec } from '../helpers/openapi.js';

/**
 * openapi.yaml and the server cannot drift apart: for every operation of the spec, requests it
 * forbids (each constraint broken, one at a time) must get a 400, and requests it allows (each
 * limit reached exactly) must not. The cases are generated from the spec and judged by an ajv of
 * this test's own on openapi.yaml as the file says (not the server's compiled copy), and a
 * constraint that no case breaks, or a limit no allowed case reaches, fails the test: a rule added
 * to the spec is tested the day it is added.
 */

interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  oneOf?: Schema[];
  discriminator?: { propertyName: string };
  items?: Schema;
  [keyword: string]: unknown;
}
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  operationId: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
}

const ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true, discriminator: true });
ajv.addFormat('date-time', isDateTime);
ajv.addSchema(spec as object, 'spec');

function resolve<T>(value: T | { $ref: string }): T {
  let current = value as { $ref?: string };
  while (current.$ref) {
    current = current.$ref
      .slice(2)
      .split('/')
      .reduce<any>((node, token) => node[token.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return current as T;
}

const compiled = new Map<string, ValidateFunction>();
/** This test's validator of a schema of the spec (its local $refs read in the spec). */
function validator(schema: Schema): ValidateFunction {
  const text = JSON.stringify(schema).replace(/"\$ref":"#\//g, '"$ref":"spec#/');
  let validate = compiled.get(text);
  if (!validate) {
    validate = ajv.compile(JSON.parse(text) as object);
    compiled.set(text, validate);
  }
  return validate;
}

function judge(schema: Schema, value: unknown): ErrorObject[] {
  const validate = validator(schema);
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

// Strings that meet or break the patterns and formats of the spec; each location takes them all,
// and the spec says which it allows. Date-times are in the future: a key's expiry must be.
const STRINGS = [
  'a', '', 'Az09._:@-', 'a b', '-a', 'é', '😀', 'a/b', 'a'.repeat(128), 'a'.repeat(129),
  '0123456789ab', '0123456789aB', '0123456789abc',
  '*', '"3"', 'W/"3"', '"1", W/"2"', '1', '"1" "2"', '*, "1"',
  'k', 'k'.repeat(255), 'k'.repeat(256), 'Zm9v', 'Zm9v=',
  '/a~1b/~0c', '/~2', '/__proto__', '/a/__proto__', '/__proto__x',
  '2999-01-31T12:00:00Z', '2999-01-31 12:00:00.123456789+02:00', '9999-12-31T23:59:59.999999Z', '2999-02-30T00:00:00Z', '2999-01-31', 'yesterday',
];

/**
 * Values that meet or break each keyword of a schema, at and past its limits. A schema is probed
 * with all of them where it first appears; where it appears again (a session id in every route),
 * with those near its limits and one of each kind the spec judges alike (allowed, or breaking the
 * same keywords), so that every operation still has each of its rules broken and each limit met.
 */
function candidates(schema: Schema, where: string, sendable: (value: unknown) => boolean = () => true): unknown[] {
  const s = resolve(schema);
  const all = probes(s).filter(sendable);
  const key = `${where} ${JSON.stringify(s)}`;
  if (!probed.has(key)) {
    probed.add(key);
    return all;
  }
  const alike = new Set<string>();
  return all.filter((value) => {
    if (LIMITS.some((keyword) => keyword in s && nearLimit(s, keyword, value))) return true;
    const verdict = judge(s, value).map((error) => error.keyword).sort().join() || 'allowed';
    if (alike.has(verdict)) return false;
    alike.add(verdict);
    return true;
  });
}
const probed = new Set<string>();

function probes(schema: Schema): unknown[] {
  const s = resolve(schema);
  const values: unknown[] = [];
  if (s.enum) values.push(...s.enum, 'bogus');
  if ('const' in s) values.push(s.const, 'bogus');
  if (s.type === 'integer' || s.type === 'number') {
    const low = s.minimum ?? s.exclusiveMinimum ?? 0;
    values.push(low + 1, low + 0.5);
    if (s.minimum !== undefined) values.push(s.minimum, s.minimum - 1);
    if (s.exclusiveMinimum !== undefined) values.push(s.exclusiveMinimum, s.exclusiveMinimum + 1e-9);
    if (s.maximum !== undefined) values.push(s.maximum, s.maximum + 1);
    values.push('x');
  }
  if (s.type === 'boolean') values.push(true, false, 'yes');
  if (s.type === 'string') {
    for (const length of [s.minLength, s.maxLength]) {
      if (length === undefined) continue;
      for (const filler of ['a', '😀']) values.push(filler.repeat(length), filler.repeat(length + 1), filler.repeat(Math.max(0, length - 1)));
    }
    values.push(...STRINGS, 5);
  }
  if (s.type === undefined && !s.enum && !('const' in s)) values.push({}, 1, 'x', null, [1]);
  return [...new Map(values.map((value) => [JSON.stringify(value), value])).values()];
}

/** Valid values of a schema: one per branch of a oneOf. */
function examples(schema: Schema): unknown[] {
  const s = resolve(schema);
  if (s.type === 'array' && s.items) return examples(s.items).map((item) => [item]);
  if (s.type === 'object') {
    const branches = s.oneOf?.map((branch) => resolve(branch)) ?? [{}];
    return branches.map((branch) => {
      const value: Record<string, unknown> = {};
      for (const name of [...(s.required ?? []), ...(branch.required ?? [])]) {
        value[name] = example(branch.properties?.[name] ?? s.properties?.[name] ?? {});
      }
      const tag = s.discriminator?.propertyName;
      if (tag) value[tag] = example(branch.properties![tag]!);
      return value;
    });
  }
  const value = probes(s).find((candidate) => judge(s, candidate).length === 0);
  if (value === undefined) throw new Error(`no candidate value meets ${JSON.stringify(s)}`);
  return [value];
}
const example = (schema: Schema): unknown => examples(schema)[0];

/** The members a body may have, by their place in it (`["at"]`, or `[0, "path"]` in an array of objects). */
function members(schema: Schema, prefix: Array<string | number> = []): Array<{ at: Array<string | number>; schemas: Schema[]; tag: boolean }> {
  const s = resolve(schema);
  if (s.type === 'array' && s.items) return members(s.items, [...prefix, 0]);
  const found = new Map<string, Schema[]>();
  for (const part of [s, ...(s.oneOf ?? []).map((branch) => resolve(branch))]) {
    for (const [name, member] of Object.entries(part.properties ?? {})) found.set(name, [...(found.get(name) ?? []), member]);
  }
  return [...found].map(([name, schemas]) => ({ at: [...prefix, name], schemas, tag: s.discriminator?.propertyName === name }));
}

function withMember(body: unknown, at: Array<string | number>, value: unknown): unknown {
  const copy = structuredClone(body) as any;
  const parent = at.slice(0, -1).reduce<any>((node, key) => node[key], copy);
  if (value === undefined) delete parent[at.at(-1)!];
  else parent[at.at(-1)!] = value;
  return copy;
}
const memberAt = (body: unknown, at: Array<string | number>): unknown => at.reduce<any>((node, key) => node?.[key], body);

/** The keywords a location's schema constrains it with, and which of them have a limit an allowed value can reach. */
const CONSTRAINTS = ['type', 'enum', 'const', 'pattern', 'format', 'not', 'minimum', 'maximum', 'exclusiveMinimum', 'minLength', 'maxLength'];
const LIMITS = ['minimum', 'maximum', 'minLength', 'maxLength'];
function constraintsOf(schemas: Schema[], textOnly: boolean): string[] {
  const keywords = new Set<string>();
  for (const schema of schemas.map((s) => resolve(s))) {
    for (const keyword of CONSTRAINTS) if (keyword in schema) keywords.add(keyword);
  }
  // Text sent in a URL or a header is a string whatever it is; its type is the text's to match.
  if (textOnly && resolve(schemas[0]!).type === 'string') keywords.delete('type');
  return [...keywords];
}
function distanceToLimit(schema: Schema, keyword: string, value: unknown): number {
  const limit = resolve(schema)[keyword] as number;
  if (keyword.endsWith('Length')) return typeof value === 'string' ? Math.abs([...value].length - limit) : Infinity;
  return typeof value === 'number' ? Math.abs(value - limit) : Infinity;
}
const reachesLimit = (schema: Schema, keyword: string, value: unknown): boolean => distanceToLimit(schema, keyword, value) === 0;
const nearLimit = (schema: Schema, keyword: string, value: unknown): boolean => distanceToLimit(schema, keyword, value) <= 1;

interface Case {
  operation: string;
  what: string;
  /** What the spec says: the keywords broken (`maxLength at /message`), none when it allows the request. */
  broken: string[];
  method: string;
  path: string;
  request: RequestOptions;
  /** A name the 400's detail must mention. */
  names?: string;
}

/** Rules the spec states in words rather than schemas: the server refuses some values the schemas allow. */
const STATED_IN_WORDS: Record<string, string> = {
  'listSessions query cursor': 'a cursor must be a `next` the server gave out',
  // A JSON document in a query parameter (test/integration/labels.test.ts tests its rules and limits).
  'saveState query labels': 'labels must be a JSON object of at most 64 names to strings',
  'patchState query labels': 'labels must be a JSON object of at most 64 names to strings',
  'listHistory query labels': 'labels must be a JSON object of at most 64 names to strings',
};

const sessionOf = (operationId: string): string => `c-${operationId}`;

function casesOf(path: string, method: string, operation: Operation, pathParameters: Array<Parameter | { $ref: string }>): Case[] {
  const parameters = [...pathParameters, ...(operation.parameters ?? [])].map((p) => resolve<Parameter>(p));
  const cases: Case[] = [];
  const [mediaType, media] = Object.entries(operation.requestBody?.content ?? {})[0] ?? [];
  const bases = media ? examples(media.schema) : [];
  const send = (body: unknown) => (request: RequestOptions) => {
    request.headers!['content-type'] = mediaType!;
    request.raw = JSON.stringify(body);
  };
  // Every case is the request the spec gives as an example (with a valid body, if it takes one) with one thing changed.
  const base = (): Case => ({
    operation: operation.operationId,
    what: 'as the spec gives it',
    broken: [],
    method: method.toUpperCase(),
    path,
    request: {
      params: Object.fromEntries(
        parameters.filter((p) => p.in === 'path').map((p) => [p.name, p.name === 'sid' ? sessionOf(operation.operationId) : String(example(p.schema))]),
      ),
      query: Object.fromEntries(parameters.filter((p) => p.in === 'query' && p.required).map((p) => [p.name, String(example(p.schema))])),
      headers: {},
    },
  });
  const add = (what: string, change: (request: RequestOptions) => void, broken: string[], names?: string): void => {
    const one = base();
    if (bases.length > 0) send(bases[0])(one.request);
    change(one.request);
    cases.push({ ...one, what, broken, ...(names ? { names } : {}) });
  };

  for (const parameter of parameters) {
    const exempt = STATED_IN_WORDS[`${operation.operationId} ${parameter.in} ${parameter.name}`];
    const sendable = (value: unknown): boolean => {
      const text = String(value);
      // A path segment cannot be empty or a dot segment, a header cannot carry what fetch will not
      // send, and text in a URL or a header is a string whatever the schema says.
      if (parameter.in === 'path' && (text === '' || text === '.' || text === '..')) return false;
      if (parameter.in === 'header' && (text === '' || /[^\x20-\xff]/.test(text) || text.trim() !== text)) return false;
      return resolve(parameter.schema).type !== 'string' || typeof value === 'string';
    };
    for (const value of candidates(parameter.schema, parameter.in, sendable)) {
      const text = String(value);
      const broken = judge(parameter.schema, value).map((error) => error.keyword);
      if (exempt && broken.length === 0) {
        coverage.exempt.add(`${operation.operationId} ${parameter.in} ${parameter.name}`);
        continue;
      }
      const where = parameter.in === 'path' ? 'params' : parameter.in === 'query' ? 'query' : 'headers';
      add(`${parameter.in} ${parameter.name} = ${JSON.stringify(value).slice(0, 40)}`, (request) => {
        (request[where] as Record<string, string>)[parameter.name] = text;
      }, broken, parameter.name);
      coverage.record(`${operation.operationId} ${parameter.in} ${parameter.name}`, [parameter.schema], true, broken.length ? broken : undefined, value);
    }
    if (parameter.in === 'query' && parameter.required) {
      add(`without query ${parameter.name}`, (request) => delete request.query![parameter.name], ['required'], parameter.name);
    }
  }
  add('with an unknown query parameter', (request) => (request.query!.x_unknown = '1'), ['(unknown query parameter)'], 'x_unknown');
  if (method !== 'get') {
    for (const header of ['If-Match', 'If-None-Match']) {
      if (!parameters.some((p) => p.in === 'header' && p.name === header)) {
        add(`with ${header}, which it does not declare`, (request) => (request.headers![header] = '*'), ['(undeclared precondition)'], header);
      }
    }
  }

  if (media) {
    const schema = media.schema;
    const judged = (what: string, body: unknown, names?: string) =>
      add(what, send(body), judge(schema, body).map((error) => `${error.keyword} at ${error.instancePath}`), names);
    for (const body of bases) judged(`body ${JSON.stringify(body).slice(0, 60)}`, body);
    const root = resolve(schema);
    if (root.type) judged('a body of another type', root.type === 'array' ? {} : []);
    for (const member of members(schema)) {
      const body = bases.find((b) => memberAt(b, member.at) !== undefined) ?? bases[0];
      const name = String(member.at.at(-1));
      for (const value of member.schemas.flatMap((s) => candidates(s, 'body'))) {
        const candidate = withMember(body, member.at, value);
        const instancePath = `/${member.at.join('/')}`;
        // A discriminator's tag is judged on the object that holds it.
        const errors = judge(schema, candidate);
        const here = errors.filter((e) => (member.tag ? e.keyword === 'discriminator' : e.instancePath === instancePath));
        judged(`body member ${member.at.join('/')} = ${JSON.stringify(value).slice(0, 40)}`, candidate, here.length ? name : undefined);
        coverage.record(`${operation.operationId} body ${member.at.join('/')}`, member.tag ? [] : member.schemas, false, errors.length ? here.map((e) => e.keyword) : undefined, value);
      }
    }
    for (const body of bases) {
      for (const member of members(schema)) {
        if (memberAt(body, member.at) !== undefined) judged(`body without ${member.at.join('/')}`, withMember(body, member.at, undefined), String(member.at.at(-1)));
      }
      const holderAt = Array.isArray(body) ? [0] : [];
      judged('a body with an unknown member', withMember(body, [...holderAt, 'x_unknown'], 1), resolve(schema).additionalProperties === false ? 'x_unknown' : undefined);
    }
    if (root.oneOf && !root.discriminator) {
      judged('a body with the members of every form', Object.assign({}, ...bases));
      judged('a body with none of its forms', {});
    }
  }
  return cases;
}

/** Which keywords of each location some case broke, and which limits an allowed case reached. */
const coverage = {
  locations: new Map<string, { needed: string[]; limits: string[]; schemas: Schema[]; broken: Set<string>; reached: Set<string> }>(),
  /** Locations whose allowed values the server may still refuse, for a rule the spec states in words. */
  exempt: new Set<string>(),
  record(location: string, schemas: Schema[], textOnly: boolean, broken: string[] | undefined, value: unknown): void {
    let entry = this.locations.get(location);
    if (!entry) {
      const needed = schemas.length ? constraintsOf(schemas, textOnly) : ['discriminator'];
      entry = { needed, limits: needed.filter((k) => LIMITS.includes(k)), schemas, broken: new Set(), reached: new Set() };
      this.locations.set(location, entry);
    }
    if (broken) for (const keyword of broken) entry.broken.add(keyword);
    else for (const keyword of entry.limits) if (entry.schemas.some((s) => keyword in resolve(s) && reachesLimit(s, keyword, value))) entry.reached.add(keyword);
  },
};

describe('requests: every rule of openapi.yaml, at and past its limits, for every operation', function () {
  this.timeout(120_000);
  const fixture = useTestServer();
  let api: Api;
  const cases: Case[] = [];
  for (const [path, item] of Object.entries(spec.paths as Record<string, Record<string, unknown>>)) {
    for (const method of ['get', 'put', 'post', 'patch', 'delete']) {
      const operation = item[method] as Operation | undefined;
      if (operation) cases.push(...casesOf(path, method, operation, (item.parameters ?? []) as Parameter[]));
    }
  }

  before(async () => {
    // An admin key may call every operation.
    api = apiClient(fixture.server.baseUrl, (await createKey(fixture.db.pool, { tenant: 'default', role: 'admin' })).token);
    for (const operationId of new Set(cases.map((c) => c.operation))) {
      for (const n of [1, 2]) await api.request('PUT', '/v1/sessions/{sid}/state', { params: { sid: sessionOf(operationId) }, json: { a: { n } } });
    }
  });

  it('breaks every constraint of every parameter and body member, and reaches every limit', () => {
    const missing: string[] = [];
    for (const [location, entry] of coverage.locations) {
      for (const keyword of entry.needed) if (!entry.broken.has(keyword)) missing.push(`${location}: no case breaks ${keyword}`);
      if (coverage.exempt.has(location)) continue;
      for (const keyword of entry.limits) if (!entry.reached.has(keyword)) missing.push(`${location}: no allowed case reaches its ${keyword}`);
    }
    expect(missing).to.deep.equal([]);
    expect(cases.filter((c) => c.broken.length > 0).length).to.be.greaterThan(300);
  });

  it('answers 400, naming the part, to every request the spec forbids, and never 400 to one it allows', async () => {
    const wrong: string[] = [];
    const check = async (c: Case): Promise<void> => {
      const response = await api.request(c.method, c.path, c.request);
      const refused = response.status === 400;
      if (refused !== c.broken.length > 0) {
        wrong.push(`${c.method} ${c.path} ${c.what}: ${response.status} ${response.body?.detail ?? ''} (the spec: ${c.broken.join(', ') || 'allowed'})`);
      } else if (refused && c.names && !String(response.body.detail).includes(c.names)) {
        wrong.push(`${c.method} ${c.path} ${c.what}: the 400 does not name ${c.names}: ${response.body.detail}`);
      }
      if (response.status >= 500) wrong.push(`${c.method} ${c.path} ${c.what}: ${response.status}`);
    };
    // A few at a time: the answers do not depend on order, only on what each request says.
    const queue = [...cases];
    await Promise.all(Array.from({ length: 8 }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) await check(c);
    }));
    expect(wrong).to.deep.equal([]);
  });
});

import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { openapiDocument } from '../contract/openapi.js';
import { isDateTime } from './time.js';

/**
 * The request rules of openapi.yaml, compiled with ajv from the document itself (as data, from
 * src/contract/openapi.ts: no file is read here, so worker threads use it as the main thread
 * does), and their failures put into words: which part of the request, what was expected, what
 * was sent. Lengths count Unicode code points (ajv's `unicode` default), as the spec says.
 */

/** A JSON Schema of the document (the parts the request checks read). */
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  title?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  properties?: Record<string, SchemaObject>;
  oneOf?: SchemaObject[];
  required?: string[];
  discriminator?: { propertyName: string };
}

export interface ParameterObject {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: SchemaObject;
}

export interface OperationObject {
  operationId: string;
  parameters?: Array<ParameterObject | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: SchemaObject }> };
}

export type PathItemObject = { parameters?: Array<ParameterObject | { $ref: string }> } & Partial<Record<HttpMethod, OperationObject>>;
export type HttpMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';
export const HTTP_METHODS: readonly HttpMethod[] = ['get', 'put', 'post', 'patch', 'delete'];

export interface OpenApiDocument {
  paths: Record<string, PathItemObject>;
  components: { schemas: Record<string, SchemaObject>; parameters: Record<string, ParameterObject> };
}

export const openapi = openapiDocument as OpenApiDocument;

const DOCUMENT_ID = 'openapi.json';
// `discriminator` (OpenAPI's): a JSON Patch operation is checked as the kind its `op` names.
const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, verbose: true, discriminator: true });
// RFC 3339 as core/time reads it; the range an instant must fall in once its offset is applied is
// for the code that reads the instant to check (parseInstant), as no schema can say it.
ajv.addFormat('date-time', isDateTime);
// The document's own top-level members (openapi, info, paths...) are not schema keywords.
ajv.addVocabulary(Object.keys(openapi));
ajv.addSchema(openapi as object, DOCUMENT_ID);

/** A JSON Pointer into the document, from its tokens: `pointer('components', 'schemas', 'JsonPatch')`. */
export function pointer(...tokens: string[]): string {
  return `#/${tokens.map((token) => encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
}

const validators = new Map<string, ValidateFunction>();

/** The validator of the schema at `at` (a pointer into the document), compiled on first use. */
export function schemaValidator(at: string): ValidateFunction {
  let validate = validators.get(at);
  if (!validate) {
    validate = ajv.compile({ $ref: `${DOCUMENT_ID}${at}` });
    validators.set(at, validate);
  }
  return validate;
}

/** The object a local `$ref` (`#/components/...`) names, following chains of them. */
export function resolveRef<T extends object>(value: T | { $ref: string }): T {
  let current: unknown = value;
  while (typeof (current as { $ref?: unknown }).$ref === 'string') {
    const tokens = (current as { $ref: string }).$ref.replace(/^#\//, '').split('/');
    current = tokens.reduce<unknown>((node, token) => (node as Record<string, unknown>)[token.replace(/~1/g, '/').replace(/~0/g, '~')], openapi);
  }
  return current as T;
}

/** How a failure names the place it is in. */
export interface Naming {
  /** The value checked: `query parameter "limit"`, `the request body`, `it` (a patch). */
  root: string;
  /** An item of an array in it, by index: `operation` names `/0` "operation 0". */
  item?: string;
  /** What was sent, when the value checked is a conversion of it (a query string's text). */
  sent?: string;
}

/**
 * The first failure ajv reports, in words. A failure inside one of a `oneOf`'s branches is told
 * as the `oneOf` itself ("one of the members version or at"): no single branch is the one meant.
 */
export function describeFailure(errors: readonly ErrorObject[], naming: Naming): string {
  const first = errors[0];
  if (!first) return `${naming.root} is not valid`;
  const error = errors.find((e) => e.keyword === 'oneOf' && first.schemaPath.startsWith(`${e.schemaPath}/`)) ?? first;
  const where = place(error.instancePath, naming);
  const schema = error.parentSchema as SchemaObject;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `${where} is missing the member "${String(params.missingProperty)}"`;
    case 'additionalProperties':
      return `${where} has an unknown member "${String(params.additionalProperty)}" (it takes ${Object.keys(schema.properties ?? {}).join(', ')})`;
    case 'discriminator': {
      const tag = String(params.tag);
      const kinds = schema.oneOf?.flatMap((branch) => {
        const property = branch.properties?.[tag];
        return property?.enum ?? (property && 'const' in property ? [property.const] : []);
      });
      return `member "${tag}" of ${where} must be one of ${(kinds ?? []).join(', ')}, not ${shown(JSON.stringify(params.tagValue) ?? 'nothing')}`;
    }
    case 'oneOf': {
      const members = schema.oneOf?.map((branch) => branch.required?.[0]);
      if (!members || members.some((member) => member === undefined)) return `${where} must match exactly one of its forms`;
      const list = members.map((member) => `"${member}"`).join(' or ');
      return params.passingSchemas === null ? `${where} must have one of the members ${list}` : `${where} must have only one of the members ${list}`;
    }
  }
  const expected = expectation(schema);
  if (expected === undefined) return `${where} ${error.message ?? 'is not valid'}`;
  const sent = naming.sent !== undefined && error.instancePath === '' ? `"${naming.sent}"` : (JSON.stringify(error.data) ?? String(error.data));
  return `${where} must be ${expected}, not ${shown(sent)}`;
}

/** `/0/op` as "member "op" of operation 0". */
function place(instancePath: string, naming: Naming): string {
  if (instancePath === '') return naming.root;
  return instancePath
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((token) => (/^(0|[1-9][0-9]*)$/.test(token) ? `${naming.item ?? 'item'} ${token}` : `member "${token}"`))
    .reverse()
    .join(' of ');
}

/** What a value of this schema looks like, from its keywords (or its title, when it has one). */
function expectation(schema: SchemaObject): string | undefined {
  if (schema.title) return schema.title;
  if (schema.enum) return `one of ${schema.enum.map(String).join(', ')}`;
  if ('const' in schema) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'integer':
      return `a whole number${range(schema)}`;
    case 'number':
      return `a number${range(schema)}`;
    case 'boolean':
      return 'true or false';
    case 'string':
      return `text${length(schema)}${schema.pattern ? ` matching ${schema.pattern}` : ''}`;
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
  }
  return undefined;
}

function range({ minimum, maximum, exclusiveMinimum, exclusiveMaximum }: SchemaObject): string {
  if (minimum !== undefined && maximum !== undefined) return ` from ${minimum} to ${maximum}`;
  const bounds = [
    minimum !== undefined ? `from ${minimum}` : '',
    exclusiveMinimum !== undefined ? `greater than ${exclusiveMinimum}` : '',
    maximum !== undefined ? `at most ${maximum}` : '',
    exclusiveMaximum !== undefined ? `less than ${exclusiveMaximum}` : '',
  ].filter(Boolean);
  return bounds.length > 0 ? ` ${bounds.join(' and ')}` : '';
}

function length({ minLength, maxLength }: SchemaObject): string {
  if (minLength !== undefined && maxLength !== undefined) return ` of ${minLength} to ${maxLength} characters`;
  if (maxLength !== undefined) return ` of at most ${maxLength} characters`;
  if (minLength !== undefined) return ` of at least ${minLength} characters`;
  return '';
}

const SHOWN_CHARACTERS = 60;

/** A value as a failure shows it (JSON, or the text sent in quotes), cut short. */
function shown(text: string): string {
  if (text.length <= SHOWN_CHARACTERS) return text;
  // Not through the middle of a surrogate pair.
  const end = /[\ud800-\udbff]/.test(text[SHOWN_CHARACTERS - 1]!) ? SHOWN_CHARACTERS - 1 : SHOWN_CHARACTERS;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

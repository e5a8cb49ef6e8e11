import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { openapiPath } from '../../src/paths.js';

interface Operation {
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: object }>; headers?: Record<string, unknown> }>;
}
type Spec = { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

export const spec = parse(readFileSync(openapiPath, 'utf8')) as Spec;

const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
ajv.addSchema({ ...spec, $id: 'openapi.yaml' } as object);

/** Every operation in the spec as "METHOD /path". */
export function specOperations(): string[] {
  const methods = ['get', 'put', 'post', 'patch', 'delete', 'head'];
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((key) => methods.includes(key))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

function resolveResponse(response: Operation['responses'][string]): Operation['responses'][string] {
  if (!response.$ref) return response;
  const name = response.$ref.split('/').at(-1)!;
  return spec.components.responses![name] as Operation['responses'][string];
}

const validators = new Map<string, ValidateFunction>();

/**
 * Holds one answer to the contract: the status must be declared for the operation, the media type
 * must be one it declares, and a JSON body must match its schema. Throws with what differs.
 */
export function checkAgainstSpec(method: string, pathTemplate: string, status: number, contentType: string | null, body: unknown): void {
  const lookupMethod = method === 'HEAD' ? 'get' : method.toLowerCase();
  const operation = spec.paths[pathTemplate]?.[lookupMethod];
  if (!operation) throw new Error(`openapi.yaml has no operation ${method} ${pathTemplate}`);
  const declared = operation.responses[String(status)];
  if (!declared) {
    throw new Error(`openapi.yaml declares no ${status} for ${method} ${pathTemplate} (body: ${JSON.stringify(body)})`);
  }
  const response = resolveResponse(declared);
  if (!response.content || method === 'HEAD' || status === 304 || status === 204) return;
  const mediaType = (contentType ?? '').split(';')[0]!.trim();
  const media = response.content[mediaType];
  if (!media) {
    throw new Error(`${method} ${pathTemplate} ${status}: content type ${mediaType} is not one of ${Object.keys(response.content).join(', ')}`);
  }
  if (!media.schema || !mediaType.includes('json')) return;
  const key = `${lookupMethod} ${pathTemplate} ${status} ${mediaType}`;
  let validate = validators.get(key);
  if (!validate) {
    const pointer = declared.$ref
      ? `${declared.$ref.replace('#', 'openapi.yaml#')}/content/${escape(mediaType)}/schema`
      : `openapi.yaml#/paths/${escape(pathTemplate)}/${lookupMethod}/responses/${status}/content/${escape(mediaType)}/schema`;
    validate = ajv.compile({ $ref: pointer });
    validators.set(key, validate);
  }
  if (!validate(body)) {
    throw new Error(`${method} ${pathTemplate} ${status}: body does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`);
  }
}

/** JSON Pointer escaping of one token, URI-encoded for use in a $ref. */
function escape(token: string): string {
  return encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'));
}

/** Holds a value to a schema of the spec's components (`FeedVersion`): throws with what differs. */
export function checkSchema(name: string, value: unknown): void {
  const key = `#/components/schemas/${name}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ $ref: `openapi.yaml${key}` });
    validators.set(key, validate);
  }
  if (!validate(value)) throw new Error(`${name} does not match openapi.yaml: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
}

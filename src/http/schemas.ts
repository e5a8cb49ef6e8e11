import type { Operation } from 'fast-json-patch';
import { unescapePointerToken, type Json } from '../core/json.js';
import { ValidationError } from '../errors.js';
import { bodyValidator, SESSION_ID_PATTERN } from './validation.js';

const pointer = { type: 'string', pattern: '^(/([^~]|~[01])*)*$' };

/** RFC 6902 operations, as openapi.yaml's JsonPatch schema. */
export const jsonPatchSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['op', 'path'],
    properties: {
      op: { enum: ['add', 'remove', 'replace', 'move', 'copy', 'test'] },
      path: pointer,
      from: pointer,
      value: {},
    },
    additionalProperties: false,
    allOf: [
      { if: { properties: { op: { enum: ['add', 'replace', 'test'] } } }, then: { required: ['value'] } },
      { if: { properties: { op: { enum: ['move', 'copy'] } } }, then: { required: ['from'] } },
    ],
  },
} as const;

const checkPatchShape = bodyValidator<Operation[]>(jsonPatchSchema, 'the patch is not an RFC 6902 JSON Patch');

/** A patch whose every operation is well formed and touches no `__proto__` member. */
export function validatePatch(value: Json): Operation[] {
  const patch = checkPatchShape(value);
  patch.forEach((operation, index) => {
    for (const pathMember of ['path', 'from'] as const) {
      const path = (operation as unknown as Record<string, unknown>)[pathMember];
      if (typeof path !== 'string') continue;
      if (path.split('/').some((token) => unescapePointerToken(token) === '__proto__')) {
        throw new ValidationError(`operation ${index}: the ${pathMember} goes through "__proto__", which cannot be stored safely`);
      }
    }
  });
  return patch;
}

const metadataProperties = {
  message: { type: 'string', maxLength: 1000 },
  author: { type: 'string', maxLength: 200 },
} as const;

export interface RestoreBody {
  version?: number;
  at?: string;
  message?: string;
  author?: string;
}

export const restoreBodySchema = {
  type: 'object',
  properties: {
    version: { type: 'integer', minimum: 1, maximum: 4294967295 },
    at: { type: 'string', minLength: 1, maxLength: 64 },
    ...metadataProperties,
  },
  additionalProperties: false,
  oneOf: [{ required: ['version'] }, { required: ['at'] }],
} as const;

export const validateRestoreBody = bodyValidator<RestoreBody>(restoreBodySchema, 'the restore request must be {"version": N} or {"at": "<RFC 3339>"}');

export interface ForkBody {
  to: string;
  version?: number;
  message?: string;
  author?: string;
}

export const forkBodySchema = {
  type: 'object',
  required: ['to'],
  properties: {
    to: { type: 'string', pattern: SESSION_ID_PATTERN },
    version: { type: 'integer', minimum: 1, maximum: 4294967295 },
    ...metadataProperties,
  },
  additionalProperties: false,
} as const;

export const validateForkBody = bodyValidator<ForkBody>(forkBodySchema, 'the fork request must be {"to": "<new session id>", "version"?: N}');

import { bodyValidator, SESSION_ID_PATTERN } from './validation.js';

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

import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config.js';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Field names whose values are secrets wherever they appear (one level down too): written as
 * "[redacted]" should a call site ever pass one. The request log names what it writes and none of
 * these; this is the second line of defence.
 */
const SECRET_FIELDS = new Set(['authorization', 'token', 'key', 'apiKey', 'secret', 'password', 'state', 'body', 'headers']);
const CENSOR = '[redacted]';

/**
 * One JSON object per line on stderr (pino), so logs stay machine-readable and stdout stays free:
 * `{"level":"info","time":"<ISO 8601>","message":"…",…fields}`. The message comes before the
 * fields, as it always has: tools (and our tests) find a line by its message. Writes are
 * synchronous, so the last lines before an exit are never lost.
 */
export function createLogger(level: LogLevel, destination: DestinationStream = pino.destination({ fd: 2, sync: true })): Logger {
  const logger = pino(
    {
      level,
      base: undefined,
      messageKey: 'message',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { error: serializeError },
    },
    destination,
  );
  return wrap(logger);
}

function wrap(logger: PinoLogger): Logger {
  // The message goes in the merged object, first, rather than as pino's message argument (which
  // pino writes last).
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => {
    if (logger.isLevelEnabled(level)) logger[level]({ message, ...(fields && redacted(fields)) });
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The fields with every secret-named member, at the top or one level down, censored: the same
 * object when there is none (every line but a careless one). Done here rather than with pino's
 * `redact`, whose wildcard paths were 2% of a load's CPU (bench/PROFILE.md). An Error one level
 * down is left to serializeError, which keeps none of its other members.
 */
function redacted(fields: Record<string, unknown>): Record<string, unknown> {
  let out = fields;
  for (const name of Object.keys(fields)) {
    const value = fields[name];
    let replacement: unknown = value;
    if (SECRET_FIELDS.has(name)) replacement = CENSOR;
    else if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Error)) {
      const inner = value as Record<string, unknown>;
      for (const innerName of Object.keys(inner)) {
        if (!SECRET_FIELDS.has(innerName)) continue;
        if (replacement === value) replacement = { ...inner };
        (replacement as Record<string, unknown>)[innerName] = CENSOR;
      }
    }
    if (replacement !== value) {
      if (out === fields) out = { ...fields };
      out[name] = replacement;
    }
  }
  return out;
}

/**
 * An error as its name, message, stack and code: never its other members, which may carry what
 * must not be logged (a driver error's SQL text and values).
 */
function serializeError(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return { name: value.name, message: value.message, stack: value.stack, ...(typeof code === 'string' ? { code } : {}) };
}

export const silentLogger: Logger = createLogger('silent', { write: () => undefined });

/**
 * Errors a client can cause. Each carries its HTTP status and becomes an
 * application/problem+json answer (RFC 9457) in the one error middleware; anything that is not a
 * DomainError is a bug and answers a generic 500.
 */
export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
  /** A short slug; the problem `type` is a URN built from it. */
  abstract readonly code: string;
  /** Extra members of the problem body (e.g. current_version). */
  readonly extensions: Record<string, unknown>;

  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super(detail);
    this.extensions = extensions;
  }

  /** The response headers this error defines; an error answer carries these and no others. */
  headers(): Record<string, string> {
    return {};
  }
}

export class ValidationError extends DomainError {
  readonly status = 400;
  readonly title = 'Bad request';
  readonly code = 'invalid-request';
}

export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly title = 'Not found';
  readonly code = 'not-found';
}

export class ConflictError extends DomainError {
  readonly status = 409;
  readonly title = 'Conflict';
  readonly code = 'conflict';
}

export class GoneError extends DomainError {
  readonly status = 410;
  readonly title = 'Gone';
  readonly code = 'gone';
}

export class PreconditionFailedError extends DomainError {
  readonly status = 412;
  readonly title = 'Precondition failed';
  readonly code = 'precondition-failed';
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly title = 'Payload too large';
  readonly code = 'payload-too-large';
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly title = 'Unsupported media type';
  readonly code = 'unsupported-media-type';
}

export class UnprocessableError extends DomainError {
  readonly status = 422;
  readonly title = 'Unprocessable content';
  readonly code = 'unprocessable';
}

export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
  readonly title = 'Service unavailable';
  readonly code = 'unavailable';
  /** Whole seconds, sent as Retry-After. */
  readonly retryAfterSeconds: number;

  constructor(detail: string, retryAfterSeconds = 5) {
    super(detail);
    this.retryAfterSeconds = wholeRetrySeconds(retryAfterSeconds);
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly title = 'Unauthorized';
  readonly code = 'unauthorized';

  /** `tokenGiven`: a key was sent but is not good (RFC 6750 error="invalid_token"). */
  constructor(
    detail: string,
    private readonly tokenGiven = true,
  ) {
    super(detail);
  }

  override headers(): Record<string, string> {
    return { 'WWW-Authenticate': `Bearer realm="session-store"${this.tokenGiven ? ', error="invalid_token"' : ''}` };
  }
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly title = 'Forbidden';
  readonly code = 'forbidden';
}

export class TooManyRequestsError extends DomainError {
  readonly status = 429;
  readonly title = 'Too many requests';
  readonly code = 'rate-limited';

  /** Whole seconds until a request would be admitted, sent as Retry-After. */
  readonly retryAfterSeconds: number;

  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.retryAfterSeconds = wholeRetrySeconds(retryAfterSeconds);
  }

  override headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** The longest Retry-After sent: a wait beyond a day is no useful advice to a client. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * A wait as Retry-After needs it (RFC 9110 §10.2.3: a whole number of seconds): rounded up, at
 * least 1, at most MAX_RETRY_AFTER_SECONDS (a key with a tiny rate can need ages).
 */
export function wholeRetrySeconds(seconds: number): number {
  if (Number.isNaN(seconds)) return MAX_RETRY_AFTER_SECONDS;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}

/**
 * Stored history disagrees with itself (a replayed state does not match its recorded hash, a
 * broken hash chain, a missing checkpoint): not something a client caused, so it answers a logged
 * 500 like any other bug; the replay script reports it as a mismatch.
 */
export class IntegrityError extends Error {}

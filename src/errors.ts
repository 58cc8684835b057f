/**
 * The few error kinds of ours. Modules that call X, Azure or msal translate their errors into
 * these; the HTTP error middleware and the worker map them to status codes and task outcomes.
 */
export class AppError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class InvalidInputError extends AppError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 400, 'InvalidInput', options);
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, 404, 'NotFound');
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Missing or invalid credentials') {
    super(message, 401, 'Unauthorized');
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(message, 409, 'Conflict');
  }
}

/** The connector itself is not configured well enough to do what was asked (settings missing). */
export class NotConfiguredError extends AppError {
  constructor(message: string) {
    super(message, 409, 'NotConfigured');
  }
}

/** A dependency (X, Azure, AAD) failed in a way that may pass: retry later. */
export class TransientError extends AppError {
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, 503, 'Transient', options);
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** A dependency refused in a way retrying will not fix (revoked tokens, forbidden). */
export class PermanentError extends AppError {
  constructor(message: string, options?: { cause?: unknown; authRevoked?: boolean }) {
    super(message, 502, 'Permanent', options);
    this.authRevoked = options?.authRevoked ?? false;
  }
  readonly authRevoked: boolean;
}

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
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number; retryNow?: boolean }) {
    super(message, 503, 'Transient', options);
    this.retryAfterMs = options?.retryAfterMs;
    this.retryNow = options?.retryNow ?? true;
  }
  readonly retryAfterMs: number | undefined;
  /** false: it may pass, but not within this run (X credits exhausted): report it, do not back off and ask again. */
  readonly retryNow: boolean;
}

/** A dependency refused in a way retrying will not fix (revoked tokens, forbidden). */
export class PermanentError extends AppError {
  constructor(message: string, options?: { cause?: unknown; authRevoked?: boolean }) {
    super(message, 502, 'Permanent', options);
    this.authRevoked = options?.authRevoked ?? false;
  }
  readonly authRevoked: boolean;
}

/** What a network failure's code means, said for an admin. */
const NETWORK_PHRASES: Record<string, string> = {
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ECONNABORTED: 'the connection was aborted',
  EPIPE: 'the connection was closed while the request was being sent',
  ETIMEDOUT: 'the connection timed out',
  ESOCKETTIMEDOUT: 'the connection timed out',
  ENOTFOUND: 'its host name could not be resolved',
  EAI_AGAIN: 'its host name could not be resolved',
  EHOSTUNREACH: 'its host is unreachable',
  ENETUNREACH: 'the network is unreachable',
  ENETDOWN: 'the network is down',
  // fetch (undici)
  UND_ERR_SOCKET: 'the connection was closed before an answer',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_BODY_TIMEOUT: 'the answer stopped coming',
};
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;

/** "0.4 s", "30 s". */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/**
 * When err (or what it wraps: `cause`, an AggregateError's errors) is a failure to reach a
 * server — refused, reset, timed out, no such host — a short phrase saying what happened, e.g.
 * "the connection was closed before an answer"; otherwise undefined. A timeout of ours
 * (AbortSignal.timeout) reads "no answer within <timeoutMs>" when timeoutMs is given.
 */
export function networkFailure(err: unknown, timeoutMs?: number): string | undefined {
  const seen = new Set<unknown>();
  const visit = (e: unknown): string | undefined => {
    if (!e || typeof e !== 'object' || seen.has(e) || seen.size > 8) return undefined;
    seen.add(e);
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (name === 'TimeoutError') return timeoutMs === undefined ? 'no answer in time' : `no answer within ${seconds(timeoutMs)}`;
    if (typeof code === 'string') {
      // Node says "socket hang up" when the server closed the connection without answering.
      if (code === 'ECONNRESET' && message === 'socket hang up') return 'the connection was closed before an answer';
      // …and "aborted" when it closed it partway through the answer.
      if (code === 'ECONNRESET' && message === 'aborted') return 'the answer broke off before it was complete';
      const phrase = NETWORK_PHRASES[code];
      if (phrase) return phrase;
      if (TLS_CODE.test(code)) return `its TLS certificate was not accepted (${code})`;
    }
    for (const inner of [(e as { cause?: unknown }).cause, ...((e as { errors?: unknown }).errors instanceof Array ? (e as { errors: unknown[] }).errors : [])]) {
      const found = visit(inner);
      if (found) return found;
    }
    return undefined;
  };
  return visit(err);
}

import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors';

/** Body-parser and other http-errors carry `status`/`type`; map the ones a client causes. */
function clientErrorOf(err: unknown): { status: number; code: string; message: string } | undefined {
  const e = err as { status?: unknown; type?: unknown; message?: unknown };
  if (typeof e?.status !== 'number' || e.status < 400 || e.status >= 500) return undefined;
  switch (e.type) {
    case 'entity.parse.failed':
      return { status: 400, code: 'InvalidJson', message: 'The request body is not valid JSON' };
    case 'entity.too.large':
      return { status: 413, code: 'PayloadTooLarge', message: 'The request body is larger than 1 MB' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { status: 415, code: 'UnsupportedEncoding', message: 'The request body encoding is not supported; send UTF-8 JSON' };
    default:
      return { status: e.status, code: 'BadRequest', message: typeof e.message === 'string' ? e.message : 'Bad request' };
  }
}

export const notFoundHandler: RequestHandler = (req, res) => {
  res.status(404).json({ Error: 'NotFound', Message: `No route for ${req.method} ${req.path}` });
};

/** The one error middleware: typed errors to status codes; 5xx logged and their text hidden. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) {
    next(err);
    return;
  }
  if (err instanceof AppError) {
    if (err.status >= 500) {
      req.log.error({ err: { name: err.name, message: err.message, code: err.code } }, 'dependency failed');
      // A dependency failure's message is shown: it names the service and what happened ("X could
      // not be reached (the connection was reset). Try again in a moment.") and holds no secret;
      // the setup page shows it to the admin. Anything not ours is hidden as "Internal error" below.
      res.status(err.status).json({ Error: err.code, Message: err.message });
      return;
    }
    res.status(err.status).json({ Error: err.code, Message: err.message });
    return;
  }
  const client = clientErrorOf(err);
  if (client) {
    res.status(client.status).json({ Error: client.code, Message: client.message });
    return;
  }
  req.log.error({ err }, 'unhandled error');
  res.status(500).json({ Error: 'InternalError', Message: 'Internal error' });
};

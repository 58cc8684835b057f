import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RefusingProxy {
  /** The proxy's origin: put it in place of the target's in a SAS URL. */
  url: string;
  /** PUTs passed on to the target so far. */
  passed: number;
  close(): Promise<void>;
}

/**
 * A loopback HTTP proxy in front of Azurite that passes the first `allowPuts` PUTs through and
 * answers every later one as Blob Storage answers a SAS it no longer accepts (403
 * AuthorizationFailure): a task whose uploads start failing halfway, as when its SAS expires.
 */
export async function startRefusingProxy(target: string, allowPuts: number): Promise<RefusingProxy> {
  const to = new URL(target);
  const state = { passed: 0 };
  const server = http.createServer((req, res) => {
    if (req.method === 'PUT' && state.passed >= allowPuts) {
      req.resume();
      const body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code><Message>This request is not authorized to perform this operation.</Message></Error>';
      res.writeHead(403, { 'content-type': 'application/xml', 'x-ms-error-code': 'AuthorizationFailure', 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (req.method === 'PUT') state.passed++;
    const out = http.request({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: { ...req.headers, host: to.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get passed() {
      return state.passed;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

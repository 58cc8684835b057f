import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startLatencyProxy, type LatencyProxy } from '../../bench/latencyProxy';

// The benchmark's stand-in for a network between the worker and Azurite: what passes must be
// unchanged, and a request/response must take at least the round trip.
describe('bench latency proxy', () => {
  let server: http.Server;
  let proxy: LatencyProxy;
  const agent = new http.Agent({ keepAlive: true });

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => res.end(Buffer.concat(chunks).reverse()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = await startLatencyProxy((server.address() as AddressInfo).port, 40);
  });
  afterAll(async () => {
    agent.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  function put(body: Buffer): Promise<{ body: Buffer; ms: number }> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: proxy.port, method: 'PUT', path: '/x', agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ body: Buffer.concat(chunks), ms: performance.now() - started }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  test('bytes arrive unchanged and in order, each exchange after at least the round trip', async () => {
    const body = Buffer.alloc(300_000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) % 251;
    const results = await Promise.all([put(body), put(body.subarray(0, 10)), put(body)]);
    for (const r of results) expect(r.ms).toBeGreaterThanOrEqual(39);
    expect(results[0]!.body.equals(Buffer.from(body).reverse())).toBe(true);
    expect(results[1]!.body.equals(Buffer.from(body.subarray(0, 10)).reverse())).toBe(true);
    // A reused keep-alive connection pays the round trip again.
    const again = await put(Buffer.from('abc'));
    expect(again.body.toString()).toBe('cba');
    expect(again.ms).toBeGreaterThanOrEqual(39);
  });
});

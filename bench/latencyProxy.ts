/**
 * A TCP proxy on loopback that delays every byte by half a round trip each way, so a real
 * Azurite answers like a Blob Storage endpoint a network away. (This machine's kernel has no
 * netem qdisc, so the delay is added in user space.) Bytes keep their order; each direction
 * holds chunks until their time has come, then writes them; a close is passed on after the
 * bytes before it.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface LatencyProxy {
  /** 127.0.0.1:PORT to connect to instead of the target. */
  port: number;
  rttMs: number;
  close(): Promise<void>;
}

/** Forwards from one socket to another, each chunk after delayMs; ends the other side after the last. */
function delayedPipe(from: net.Socket, to: net.Socket, delayMs: number): void {
  const queue: { at: number; chunk: Buffer | null }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0]!.at <= now) {
      const { chunk } = queue.shift()!;
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0]!.at - now));
  };
  const push = (chunk: Buffer | null): void => {
    queue.push({ at: performance.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(null));
}

export async function startLatencyProxy(targetPort: number, rttMs: number): Promise<LatencyProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true, allowHalfOpen: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    // An error on either side ends both: the client sees a reset connection, as it would on a network.
    const fail = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    delayedPipe(client, upstream, rttMs / 2);
    delayedPipe(upstream, client, rttMs / 2);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    rttMs,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Why bench/run.ts leaves every fresh Azurite idle before its timed run (`npm run build && node
 * dist/bench/settle.js [waits in s, default 0,20,0,20] [Puts, default 5000]`): the same Puts, from
 * the same plain @azure/storage-blob client with 16 in flight, each on a fresh Azurite, after
 * waiting that long. Prints Azurite's CPU while idle and its CPU per Put.
 */
import { performance } from 'node:perf_hooks';
import { ContainerClient } from '@azure/storage-blob';
import { containerSasUrl, startAzurite } from '../test/fakes/azurite';
import { procCpuMs } from './profile';

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, runner));
}

async function main(): Promise<void> {
  const waits = (process.argv[2] ?? '0,20,0,20').split(',').map(Number);
  const puts = Number(process.argv[3] ?? 5000);
  // A text Item's size.
  const body = Buffer.alloc(900, 'a');
  for (const wait of waits) {
    const azurite = await startAzurite();
    try {
      const container = new ContainerClient(await containerSasUrl(azurite, `settle-${Date.now()}`, 4));
      const idle0 = procCpuMs(azurite.pid)!;
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      const cpu0 = procCpuMs(azurite.pid)!;
      const t0 = performance.now();
      await pool(puts, 16, (i) => container.getBlockBlobClient(`bench-job-1/task/${i}.json`).upload(body, body.length));
      const seconds = (performance.now() - t0) / 1000;
      const cpu = procCpuMs(azurite.pid)! - cpu0;
      process.stdout.write(
        `idle ${wait} s (Azurite CPU meanwhile ${cpu0 - idle0} ms): ${Math.round(puts / seconds)} Puts/s, Azurite ${Math.round((cpu * 1000) / puts)} µs CPU per Put\n`,
      );
    } finally {
      await azurite.close();
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  process.exit(1);
});

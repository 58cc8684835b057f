import './instrument';
import type { Server } from 'node:http';
import { Alerter } from './alerts/alerter';
import { createClients } from './composition';
import { ConfigError } from './config';
import { credentialsNotice, loadConfig } from './credentials';
import { createApp } from './http/app';
import { createWorker } from './ingest/worker';
import { createLogger } from './logger';
import { openStore } from './store';

type Mode = 'all' | 'web' | 'worker';

/** Closers run in reverse order of registration on SIGTERM/SIGINT. */
const closers: { name: string; close: () => Promise<void> }[] = [];

async function main(mode: Mode): Promise<void> {
  const resolved = loadConfig(process.env);
  const { config } = resolved;
  const logger = createLogger(config.logLevel);
  const store = await openStore(config);
  closers.push({ name: 'store', close: () => store.close() });

  // Printed on purpose (SPEC: generated once and shown at start), outside the structured log.
  const notice = credentialsNotice(resolved);
  if (notice) process.stdout.write(notice);

  const clients = createClients(config);
  if (mode === 'all' || mode === 'worker') {
    const worker = createWorker({ config, logger, store, clients, mode });
    worker.start();
    closers.push({ name: 'worker', close: () => worker.stop() });
  }

  if (mode === 'all' || mode === 'web') {
    const app = createApp({ config, logger, store, clients });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(config.port, () => resolve(s));
    });
    closers.push({
      name: 'http',
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    });
    // Beside the web app, which also sees a worker that is gone.
    if (config.alertWebhookUrl) {
      const alerter = new Alerter({ url: config.alertWebhookUrl, store, logger });
      alerter.start();
      closers.push({ name: 'alerts', close: () => alerter.stop() });
    }
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ port, store: store.kind, mode }, `connector listening on http://localhost:${port}`);
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    timer.unref();
    (async () => {
      for (const closer of [...closers].reverse()) {
        try {
          await closer.close();
        } catch (err) {
          logger.error({ err, resource: closer.name }, 'error while closing');
        }
      }
      logger.flush();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

const arg = process.argv[2] ?? 'all';
if (arg !== 'all' && arg !== 'web' && arg !== 'worker') {
  process.stderr.write(`Unknown mode "${arg}": use web, worker or nothing (both)\n`);
  process.exit(2);
}
main(arg).catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `Start-up failed: ${(err as Error)?.stack ?? String(err)}`}\n`);
  process.exit(1);
});

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

export interface ConnectorProcess {
  child: ChildProcess;
  /** http://127.0.0.1:PORT once the web part listens (modes 'all' and 'web'). */
  url: string | undefined;
  /** Every JSON log line so far. */
  logs: Record<string, unknown>[];
  output(): string;
  /** Resolves on the first log line that matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the real compiled program (jest's globalSetup builds dist/) as `npm start`,
 * `npm run web` or `npm run worker` would, with only the given environment.
 */
export async function spawnConnector(mode: 'all' | 'web' | 'worker', env: Record<string, string>): Promise<ConnectorProcess> {
  const args = [join(ROOT, 'dist/src/main.js'), ...(mode === 'all' ? [] : [mode])];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let raw = '';
  let pending = '';
  const logs: Record<string, unknown>[] = [];
  const waiters: { match: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  const onLine = (line: Record<string, unknown>) => {
    logs.push(line);
    for (const w of [...waiters]) {
      if (w.match(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  child.stdout!.on('data', (d: Buffer) => {
    raw += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) {
      if (l.startsWith('{')) {
        try {
          onLine(JSON.parse(l) as Record<string, unknown>);
        } catch {
          /* not a log line */
        }
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (raw += d.toString()));
  const proc: ConnectorProcess = {
    child,
    url: undefined,
    logs,
    output: () => raw,
    waitForLog(match, timeoutMs = 30_000) {
      const found = logs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms:\n${raw.slice(-3000)}`)), timeoutMs);
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        child.once('exit', () => reject(new Error(`process exited before the log line:\n${raw.slice(-3000)}`)));
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
  if (mode !== 'worker') {
    const line = await proc.waitForLog((l) => typeof l['port'] === 'number');
    proc.url = `http://127.0.0.1:${line['port'] as number}`;
  }
  return proc;
}

/** Seconds from a worker's death (or restart) to the report, kept in test-artifacts/ for the closing note. */
export function recordRecovery(store: string, seconds: number): void {
  mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
  writeFileSync(join(ROOT, 'test-artifacts', `recovery-${store}.json`), JSON.stringify({ store, seconds }));
  process.stdout.write(`crash recovery (${store}): report ${seconds.toFixed(1)} s after the restart\n`);
}

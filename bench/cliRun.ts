import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const ROOT = join(__dirname, '..', '..');

export interface CliRun {
  seconds: number;
  /** The command's own peak RSS, which dist/bench/maxRss.js writes at its exit. */
  peakRssMb: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/cli.js <args>` as an admin would, in a process of its own, and measures it. */
export function runCli(args: string[], env: Record<string, string>): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--require', join(ROOT, 'dist/bench/maxRss.js'), join(ROOT, 'dist/src/cli.js'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const kb = Number(/BENCH_MAX_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ seconds: (performance.now() - started) / 1000, peakRssMb: kb / 1024, code, stdout, stderr });
    });
  });
}

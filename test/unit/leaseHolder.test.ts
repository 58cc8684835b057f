import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { SecretBox } from '../../src/crypto/secretBox';
import { holderAlive, parseHolder, thisProcess } from '../../src/store/leaseHolder';
import { SqliteStore } from '../../src/store/sqlite/sqliteStore';
import { tempDir } from '../helpers/connector';

const ROOT = join(__dirname, '..', '..');
const KEY = 'lease-holder-test-key';

/** Runs a short node program to its end and returns its pid, which is then free. */
async function exitedPid(source: string, env: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, ['-e', source], { cwd: ROOT, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'inherit' });
  const [code] = (await once(child, 'exit')) as [number | null];
  expect(code).toBe(0);
  return child.pid!;
}

const task = (taskId: string) => ({
  jobId: 'job-1',
  taskId,
  startTime: '2026-11-01T00:00:00.000Z',
  endTime: '2026-11-02T00:00:00.000Z',
  dirtyEntities: null,
  blobSasUri: 'https://a.blob.core.windows.net/c?sig=x',
  enqueuedAt: '2026-11-02T00:00:00.000Z',
});

describe('lease holders', () => {
  test('this process is alive, and knows its own start time on Linux', () => {
    const me = thisProcess();
    expect(me.pid).toBe(process.pid);
    if (process.platform === 'linux') expect(me.startedAt).toMatch(/^\d+$/);
    expect(holderAlive(me)).toBe(true);
  });

  test('when a process has exited, then it is not alive', async () => {
    const pid = await exitedPid('');
    expect(holderAlive({ ...thisProcess(), pid })).toBe(false);
  });

  test('when the pid is alive but started at another time (a reused pid), then the holder is not alive', () => {
    expect(holderAlive({ ...thisProcess(), startedAt: '1' })).toBe(false);
  });

  test('when the holder is on another host, then it counts as alive: its lease runs out on its own', async () => {
    const pid = await exitedPid('');
    expect(holderAlive({ host: 'another-host.example', pid, startedAt: '1' })).toBe(true);
  });

  test.each([[null], [''], ['not json'], ['{"host":"h"}'], ['{"host":"h","pid":"1","startedAt":"1"}']])('a holder record %j is not a holder', (text) => {
    expect(parseHolder(text)).toBeUndefined();
  });
});

describe('SQLite: leases of dead processes', () => {
  test("when the process that leased a task is gone, then releaseDeadLeases gives it back at once; a live process's lease stays", async () => {
    const file = join(tempDir(), 'connector.db');
    const store = new SqliteStore(file, new SecretBox(KEY));
    try {
      await store.enqueueTask(task('dead'));
      await store.enqueueTask(task('mine'));
      // Another process (the compiled store, as a worker would use it) leases the first task for an hour, then dies.
      await exitedPid(
        `const { SqliteStore } = require('./dist/src/store/sqlite/sqliteStore.js');
         const { SecretBox } = require('./dist/src/crypto/secretBox.js');
         const s = new SqliteStore(process.env.DB, new SecretBox(process.env.KEY));
         s.leaseTask(3600000).then((l) => { if (l.task.taskId !== 'dead') process.exit(3); return s.close(); });`,
        { DB: file, KEY },
      );
      const mine = await store.leaseTask(3_600_000);
      expect(mine?.task.taskId).toBe('mine');
      expect(await store.leaseTask(3_600_000)).toBeUndefined();

      expect(await store.releaseDeadLeases()).toEqual([{ jobId: 'job-1', taskId: 'dead' }]);
      const again = await store.leaseTask(3_600_000);
      expect(again).toMatchObject({ task: { taskId: 'dead' }, dequeueCount: 2 });
      // Ours (alive) are never handed back.
      expect(await store.releaseDeadLeases()).toEqual([]);
      expect(await store.extendLease(mine!, 1000)).toBe(true);
    } finally {
      await store.close();
    }
  });
});

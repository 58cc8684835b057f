import { aliveWithinMs, beatIntervalMs, cronPeriodMs, workersStatus } from '../../src/status/workers';
import type { WorkerBeat } from '../../src/store/types';

const beat = (instanceId: string, lastBeatAt: string, extra: Partial<WorkerBeat> = {}): WorkerBeat => ({
  instanceId,
  host: 'h',
  mode: 'worker',
  version: '0.1.0',
  startedAt: '2026-01-01T00:00:00.000Z',
  lastBeatAt,
  task: null,
  stoppedAt: null,
  ...extra,
});

describe('the schedule period', () => {
  test('when INGEST_CRON runs every 5 seconds, every 5 minutes or at 9 and 17 h, then the period is the longest gap between runs', () => {
    expect(cronPeriodMs('*/5 * * * * *')).toBe(5000);
    expect(cronPeriodMs('*/5 * * * *')).toBe(5 * 60_000);
    expect(cronPeriodMs('0 9,17 * * *')).toBe(16 * 3600_000);
  });

  test('a worker beats at least twice a period, so that three periods always hold a beat', () => {
    for (const period of [1000, 5000, 300_000, 86_400_000]) expect(beatIntervalMs(period) * 2).toBeLessThanOrEqual(Math.max(2000, period));
    expect(aliveWithinMs(5000)).toBe(15_000);
  });
});

describe('whether a worker runs', () => {
  const now = new Date('2026-01-01T01:00:00.000Z');
  const queue = { depth: 3, oldestQueuedAt: '2026-01-01T00:58:00.000Z' };

  test('when one instance beat within three periods and another stopped, then one is alive and both are listed', () => {
    const s = workersStatus([beat('a', '2026-01-01T00:59:50.000Z', { task: { jobId: 'j', taskId: 't' } }), beat('b', '2026-01-01T00:59:55.000Z', { stoppedAt: '2026-01-01T00:59:55.000Z' })], queue, now, 5000);
    expect(s.State).toBe('Ok');
    expect(s.Instances.map((i) => [i.InstanceId, i.Alive])).toEqual([['a', true], ['b', false]]);
    expect(s.Instances[0]!.Task).toEqual({ JobId: 'j', TaskId: 't' });
    expect(s).toMatchObject({ QueueDepth: 3, OldestQueuedAgeSeconds: 120, NoWorkerForMinutes: null });
  });

  test('when the last beat is older than three periods, then it says for how many minutes no worker has run', () => {
    const s = workersStatus([beat('a', '2026-01-01T00:44:00.000Z')], queue, now, 5 * 60_000);
    expect(s.State).toBe('Problem');
    expect(s.NoWorkerForMinutes).toBe(16);
    expect(s.Message).toMatch(/^No worker has run for 16 minutes/);
  });

  test('when the last beat is just within three periods, then the worker still counts as running', () => {
    expect(workersStatus([beat('a', '2026-01-01T00:45:00.000Z')], queue, now, 5 * 60_000).State).toBe('Ok');
  });

  test('when no worker ever beat, then it says none has run yet', () => {
    const s = workersStatus([], { depth: 0, oldestQueuedAt: null }, now, 5000);
    expect(s).toMatchObject({ State: 'Problem', NoWorkerForMinutes: null, OldestQueuedAgeSeconds: null });
    expect(s.Message).toMatch(/^No worker has run yet/);
  });
});

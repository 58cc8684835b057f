import { PROGRESS_EVERY_MS, TaskBook } from '../../src/ingest/taskBook';
import type { Store, TaskMessage, TaskRun } from '../../src/store/types';

/** A store that only keeps the task-run writes, as copies (what a real store would have stored). */
function recordingStore(): { store: Store; writes: TaskRun[] } {
  const writes: TaskRun[] = [];
  const store = { recordTaskRun: async (run: TaskRun) => void writes.push(JSON.parse(JSON.stringify(run)) as TaskRun) } as unknown as Store;
  return { store, writes };
}

const TASK: TaskMessage = { jobId: 'j', taskId: 't', startTime: '2026-01-01T00:00:00.000Z', endTime: '2026-01-02T00:00:00.000Z', dirtyEntities: null, blobSasUri: 'https://a.blob.core.windows.net/c', enqueuedAt: '2026-01-02T00:00:00.000Z' };

beforeEach(() => jest.useFakeTimers({ now: Date.parse('2026-01-02T00:00:00.000Z') }));
afterEach(() => jest.useRealTimers());

describe('task progress through TaskBook', () => {
  test('when progress changes a thousand times within a second, then it is written at most once a second and the last change is written', async () => {
    const { store, writes } = recordingStore();
    const book = await TaskBook.start(store, TASK, undefined);
    const started = writes.length;
    book.progress({ phase: 'fetching' });
    for (let i = 1; i <= 1000; i++) book.progress({ postsFetched: i });
    await jest.advanceTimersByTimeAsync(0);
    expect(writes.length - started).toBe(1); // the new phase, at once
    await jest.advanceTimersByTimeAsync(PROGRESS_EVERY_MS);
    expect(writes.length - started).toBe(2);
    expect(writes.at(-1)!.progress).toMatchObject({ phase: 'fetching', postsFetched: 1000 });
    await jest.advanceTimersByTimeAsync(10 * PROGRESS_EVERY_MS);
    expect(writes.length - started).toBe(2); // nothing changed since
  });

  test("when a wait for X's rate-limit reset begins or ends, then it is written at once", async () => {
    const { store, writes } = recordingStore();
    const book = await TaskBook.start(store, TASK, undefined);
    book.progress({ phase: 'fetching', postsFetched: 100 });
    await jest.advanceTimersByTimeAsync(0);
    const before = writes.length;
    book.progress({ resumesAt: '2026-01-02T00:15:00.000Z' });
    await jest.advanceTimersByTimeAsync(0);
    expect(writes.length).toBe(before + 1);
    expect(writes.at(-1)!.progress!.resumesAt).toBe('2026-01-02T00:15:00.000Z');
    book.progress({ resumesAt: null });
    await jest.advanceTimersByTimeAsync(0);
    expect(writes.at(-1)!.progress!.resumesAt).toBeNull();
  });

  test('when a slow progress write is still under way as the run settles, then the settled outcome is what the store keeps', async () => {
    // The first write after start takes 50 ms, later ones none: unordered, the stale one would land last.
    const writes: TaskRun[] = [];
    let calls = 0;
    const store = {
      recordTaskRun: async (run: TaskRun) => {
        const copy = JSON.parse(JSON.stringify(run)) as TaskRun;
        if (calls++ === 1) await new Promise((r) => setTimeout(r, 50));
        writes.push(copy);
      },
    } as unknown as Store;
    const book = await TaskBook.start(store, TASK, undefined);
    book.progress({ phase: 'uploading', itemsTotal: 10 }); // written at once, slowly
    const settled = book.settle({ status: 'success', items: 10, attachmentsSkipped: 0, daysOverCap: [], error: null, manifestSha256: null });
    await jest.advanceTimersByTimeAsync(100);
    await settled;
    expect(writes.at(-1)).toMatchObject({ status: 'success', items: 10, progress: { phase: 'reporting', itemsUploaded: 10 } });
  });
});

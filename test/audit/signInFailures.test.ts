import { SignInFailures, SIGN_IN_WINDOW_MS } from '../../src/audit/signInFailures';
import type { AuditDetails, AuditKind } from '../../src/store/types';

/** A clock the test sets, a writer that records, and the timer the class asked for (run by hand). */
function harness(startIso = '2026-05-04T10:03:00.000Z') {
  let now = Date.parse(startIso);
  const written: { kind: AuditKind; details: AuditDetails }[] = [];
  const timers: { fn: () => Promise<void>; ms: number }[] = [];
  const failures = new SignInFailures({
    write: async (kind, details) => {
      written.push({ kind, details });
    },
    clock: () => new Date(now),
    schedule: (fn, ms) => timers.push({ fn, ms }),
  });
  return {
    failures,
    written,
    timers,
    set: (iso: string) => {
      now = Date.parse(iso);
    },
  };
}

describe('failed sign-ins, summarized per address and 15-minute window', () => {
  test('when one address fails many times in a window, then nothing is written until the window ends, and then one summary', async () => {
    const h = harness();
    for (let i = 0; i < 50; i++) await h.failures.failed('203.0.113.7');
    await h.failures.failed('198.51.100.1');
    expect(h.written).toEqual([]);
    h.set('2026-05-04T10:14:59.999Z');
    await h.failures.flush();
    expect(h.written).toEqual([]);
    h.set('2026-05-04T10:15:00.000Z');
    await h.failures.flush();
    const window = { windowStart: '2026-05-04T10:00:00.000Z', windowEnd: '2026-05-04T10:15:00.000Z' };
    expect(h.written).toEqual([
      { kind: 'signin.failed', details: { address: '203.0.113.7', ...window, failures: 50, refused: 0 } },
      { kind: 'signin.failed', details: { address: '198.51.100.1', ...window, failures: 1, refused: 0 } },
    ]);
    // Written once: a later flush has nothing more to say.
    await h.failures.flush();
    expect(h.written).toHaveLength(2);
  });

  test('when a timer was asked for, then it is for the end of the window, and running it writes the summary', async () => {
    const h = harness();
    await h.failures.failed('203.0.113.7');
    await h.failures.failed('203.0.113.7');
    expect(h.timers.map((t) => t.ms)).toEqual([12 * 60 * 1000]); // 10:03 → 10:15, one timer however many failures
    h.set('2026-05-04T10:15:00.000Z');
    await h.timers[0]!.fn();
    expect(h.written.map((w) => [w.kind, w.details['failures']])).toEqual([['signin.failed', 2]]);
  });

  test('when the next failure comes after the window, then the old window is summarized first and a new one is counted', async () => {
    const h = harness();
    await h.failures.failed('203.0.113.7');
    h.set('2026-05-04T11:40:00.000Z');
    await h.failures.failed('203.0.113.7');
    expect(h.written).toEqual([
      {
        kind: 'signin.failed',
        details: { address: '203.0.113.7', windowStart: '2026-05-04T10:00:00.000Z', windowEnd: '2026-05-04T10:15:00.000Z', failures: 1, refused: 0 },
      },
    ]);
    h.set(new Date(Date.parse('2026-05-04T11:30:00.000Z') + SIGN_IN_WINDOW_MS).toISOString());
    await h.failures.flush();
    expect(h.written[1]!.details).toMatchObject({ windowStart: '2026-05-04T11:30:00.000Z', failures: 1 });
  });

  test('when the limit refuses an address, then one lockout entry is written at once per window, and the refusals are in the summary', async () => {
    const h = harness();
    await h.failures.failed('203.0.113.7');
    await h.failures.refused('203.0.113.7');
    await h.failures.refused('203.0.113.7');
    await h.failures.refused('203.0.113.7');
    expect(h.written).toEqual([
      { kind: 'signin.lockout', details: { address: '203.0.113.7', windowStart: '2026-05-04T10:00:00.000Z', windowEnd: '2026-05-04T10:15:00.000Z' } },
    ]);
    h.set('2026-05-04T10:20:00.000Z');
    await h.failures.refused('203.0.113.7');
    expect(h.written.map((w) => [w.kind, w.details['failures'], w.details['refused']])).toEqual([
      ['signin.lockout', undefined, undefined],
      ['signin.failed', 1, 3],
      ['signin.lockout', undefined, undefined],
    ]);
  });
});

import { ApiResponseError } from 'twitter-api-v2';
import { taskAdvice } from '../../src/status/advice';
import { translateXError } from '../../src/x/xClient';

/** The message translateXError writes for an HTTP status from X, as a task's error records it. */
function xError(code: number, what = 'Reading the account timeline'): string {
  const err = new ApiResponseError(`Request failed with code ${code}`, { code, request: {} as never, response: {} as never, headers: {}, data: {} as never });
  return translateXError(err, what).message;
}

const failed = (error: string) => ({ status: 'permanent_failure' as const, error, reported: true });
const temporary = (error: string) => ({ status: 'temporary_failure' as const, error, reported: true });

describe('advice for a failed task', () => {
  test('when X refused the job tokens (401), then the admin is told to sign in again', () => {
    expect(xError(401)).toMatch(/X refused the credentials/);
    expect(taskAdvice(failed(xError(401)))).toMatch(/^Sign in to X again: .*setup page/);
  });

  test('when the job has no signed-in account, then sign in again', () => {
    expect(taskAdvice(failed('The job has no signed-in X account: sign in again from the job setup page'))).toMatch(/^Sign in to X again/);
  });

  test('when reading direct messages was refused (403), then the DM permission is named', () => {
    expect(taskAdvice(failed(xError(403, 'Reading direct messages')))).toMatch(/Direct Messages permission/);
  });

  test('when X credits are exhausted (402), then the admin is told to add credits', () => {
    expect(xError(402)).toMatch(/X credits exhausted/);
    expect(taskAdvice(temporary(xError(402)))).toMatch(/add credits .*X developer portal/);
  });

  test('when the Event API answered 401, then the AAD app and its secret are named', () => {
    // The worker records this on a run not reported yet (src/ingest/worker.ts); eventApi.ts writes it.
    const run = { status: 'running' as const, error: 'The Event API answered HTTP 401', reported: false };
    expect(taskAdvice(run)).toMatch(/Event API refused the AAD app: check the AAD Application ID and its secret/);
  });

  test("when AAD refused the app's secret, then the same advice names where to make a new one", () => {
    const msg = 'Getting an AAD token for the Event API failed: invalid_client: Error(s): 7000215 - AADSTS7000215: Invalid client secret provided.';
    expect(taskAdvice({ status: 'running', error: msg, reported: false })).toMatch(/Certificates & secrets/);
  });

  test('when days were over the cap, then the advice says nothing else is needed', () => {
    expect(taskAdvice(failed('Over the daily cap of 200000 items: 2024-05-01 (not uploaded)'))).toMatch(/daily cap/);
  });

  test('when X could not be reached, then the network is named', () => {
    expect(taskAdvice(temporary('Reading the account timeline: X could not be reached (the connection was refused)'))).toMatch(/outbound network/);
    expect(taskAdvice(temporary(xError(503)))).toMatch(/X could not be reached or failed/);
  });

  test('when the Event API could not be reached, then the Microsoft endpoints are named', () => {
    expect(taskAdvice({ status: 'running', error: 'The Event API could not be reached (no answer within 120 s)', reported: false })).toMatch(/webhook\.ingestion\.office\.com/);
  });

  test('when a task succeeded or has no error, then there is no advice', () => {
    expect(taskAdvice({ status: 'success', error: null, reported: true })).toBeNull();
    expect(taskAdvice({ status: 'success', error: 'Over the daily cap of 5 items: 2024-05-01 (not uploaded)', reported: true })).toBeNull();
    expect(taskAdvice(failed('something nobody foresaw'))).toBeNull();
  });
});

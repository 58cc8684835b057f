import type { TaskStatus } from '../store/types';

/**
 * What an admin can do about a task that failed or was not reported, in words: the technical
 * error stays beside it. Matched on the messages the code writes (src/x/xClient.ts,
 * src/ingest/eventApi.ts, src/ingest/processTask.ts); null when there is nothing to do or no
 * advice fits better than the error itself.
 */
export function taskAdvice(run: { status: TaskStatus; error: string | null; reported?: boolean }): string | null {
  const error = run.error;
  if (!error) return null;
  if (run.status === 'success' && run.reported !== false) return null;
  const rules: [RegExp, string][] = [
    [/has no signed-in X account|X refused the credentials \(HTTP 401\)/, 'Sign in to X again: open the job\'s setup page in the Microsoft 365 compliance center and click "Login with Twitter".'],
    [
      /Reading direct messages.*X refused the credentials \(HTTP 403\)|dm\.read|direct messages?.*(permission|HTTP 403)/i,
      'Add the Direct Messages permission: in the X developer portal set the app\'s permissions to "Read, write and Direct Messages", then sign in to X again from the job\'s setup page.',
    ],
    [/X refused the credentials \(HTTP 403\)/, 'X refused the account\'s access: sign in to X again from the job\'s setup page; if it persists, check the app\'s permissions in the X developer portal.'],
    [/X credits exhausted/, 'X credits are exhausted: add credits to the developer account in the X developer portal. Microsoft 365 asks for this window again later.'],
    [/X rate limit reached/, 'X\'s rate limit was reached: nothing to do, the task is asked for again later.'],
    [/The X app is not configured/, 'Enter the Twitter Api Key and Secret Key on the Configure page.'],
    [
      /Event API answered HTTP 40[13]|invalid_client|AADSTS7000215|AADSTS7000222|unauthorized_client|AADSTS700016/i,
      'The Event API refused the AAD app: check the AAD Application ID and its secret on the Configure page (a client secret may have expired: make a new one in the Entra admin center → App registrations → Certificates & secrets).',
    ],
    [/AAD Application ID and Secret are not configured/, 'Enter the AAD Application ID and Secret on the Configure page; the task is reported once they are there.'],
    [/Over the daily cap/, 'Microsoft 365 imports at most the daily cap of items per job and day: those days were not uploaded. Nothing else to do; the next days are archived as usual.'],
    [/X could not be reached|X answered HTTP 5\d\d/, 'X could not be reached or failed: nothing to do if it passes, the task is retried. If it lasts, check the connector\'s outbound network (proxy, firewall) and X\'s status page.'],
    [/(Event API|AAD) could not be reached|Event API answered HTTP 5\d\d/, 'Microsoft 365 could not be reached to report the task: the worker keeps retrying. If it lasts, check the outbound network to login.microsoftonline.com and webhook.ingestion.office.com.'],
    [/could not be reached|no answer within|broke off/, 'A service could not be reached: the task is retried. If it lasts, check the connector\'s outbound network.'],
  ];
  for (const [pattern, advice] of rules) if (pattern.test(error)) return advice;
  return null;
}

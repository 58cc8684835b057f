import type { Logger } from '../logger';
import type { AuditDetails, AuditEntry, AuditKind, Store } from '../store/types';
import { SignInFailures } from './signInFailures';

/**
 * For writes that must not fail the work they record (a task whose report was accepted, a
 * deletion already stored): the entry is appended, or the failure is logged as an error.
 */
export async function auditQuietly(store: Store, log: Logger, kind: AuditKind, details: AuditDetails): Promise<void> {
  try {
    await store.appendAudit({ kind, details });
  } catch (err) {
    log.error({ err: (err as Error)?.message ?? String(err), kind }, 'could not append to the audit log');
  }
}

export interface AuditOptions {
  store: Store;
  logger: Logger;
  clock: () => Date;
  /** How a sign-in window's summary is scheduled at its end; defaults to an unref'd timer. */
  schedule?: (fn: () => Promise<void>, ms: number) => void;
}

/**
 * The web side's audit trail, built once in createApp: what an admin or the Import service did,
 * stamped with the app's clock. record() fails when the entry cannot be written, so the request
 * that did the thing says so; sign-in failures are counted and summarized (SignInFailures).
 */
export class Audit {
  readonly signIns: SignInFailures;

  constructor(private readonly opts: AuditOptions) {
    this.signIns = new SignInFailures({
      write: (kind, details) => this.recordQuietly(kind, details),
      clock: opts.clock,
      schedule: opts.schedule ?? ((fn, ms) => setTimeout(() => void fn(), ms).unref()),
    });
  }

  record(kind: AuditKind, details: AuditDetails): Promise<AuditEntry> {
    return this.opts.store.appendAudit({ kind, at: this.opts.clock().toISOString(), details });
  }

  async recordQuietly(kind: AuditKind, details: AuditDetails): Promise<void> {
    try {
      await this.record(kind, details);
    } catch (err) {
      this.opts.logger.error({ err: (err as Error)?.message ?? String(err), kind }, 'could not append to the audit log');
    }
  }
}

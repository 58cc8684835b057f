import type { AuditEntry, AuditHead, Store } from '../store/types';
import { AUDIT_PAGE_MAX } from '../store/types';
import { auditHash, GENESIS_HASH } from './hash';

export interface AuditChainResult {
  ok: boolean;
  /** Entries read. */
  entries: number;
  /** The last entry read (seq and hash), to quote or anchor elsewhere; undefined for an empty log. */
  last?: AuditHead;
  /** The first entry at which the chain does not hold, and why in words. */
  firstBroken?: { seq: number; reason: string };
}

type Source = Store | Iterable<AuditEntry> | AsyncIterable<AuditEntry>;

function isStore(s: Source): s is Store {
  return typeof (s as Store).listAudit === 'function';
}

/** The whole log oldest first, a page at a time: never all of it in memory. */
async function* pagesOf(store: Store): AsyncIterable<AuditEntry> {
  for (let after = 0; ; ) {
    const page = await store.listAudit({ order: 'oldest', after, limit: AUDIT_PAGE_MAX });
    yield* page;
    if (page.length < AUDIT_PAGE_MAX) return;
    after = page.at(-1)!.seq;
  }
}

/**
 * Checks the audit log's hash chain, oldest first: every entry's hash is recomputed (an edited
 * entry fails), seqs run 1, 2, 3… (a removed or moved entry fails), and every prevHash is the hash
 * before it (an entry removed and the rest renumbered, or a rewritten entry whose hash was made to
 * match, fails at the next entry). The last entry must be the store's head: a removed last entry
 * shows there. Given plain entries (an export), pass `head` to check the end too.
 */
export async function verifyAuditChain(source: Source, opts: { head?: AuditHead } = {}): Promise<AuditChainResult> {
  const head = isStore(source) ? await source.auditHead() : opts.head;
  const entries = isStore(source) ? pagesOf(source) : source;
  let count = 0;
  let prev: AuditHead | undefined;
  const broken = (seq: number, reason: string): AuditChainResult => ({ ok: false, entries: count, last: prev, firstBroken: { seq, reason } });

  for await (const e of entries) {
    count++;
    const expected = (prev?.seq ?? 0) + 1;
    if (auditHash(e) !== e.hash) return broken(e.seq, `entry ${e.seq} was changed: its content does not match its hash`);
    if (e.seq !== expected) {
      return broken(
        e.seq,
        e.seq > expected
          ? `${e.seq - 1 > expected ? `entries ${expected}-${e.seq - 1} are` : `entry ${expected} is`} missing before entry ${e.seq}`
          : `entry ${e.seq} is out of order: it comes after entry ${prev?.seq}`,
      );
    }
    if (e.prevHash !== (prev?.hash ?? GENESIS_HASH)) {
      return broken(e.seq, `entry ${e.seq} does not follow entry ${expected - 1}: an entry before it was removed, replaced or rewritten`);
    }
    prev = { seq: e.seq, hash: e.hash };
  }

  if (head && (!prev || head.seq > prev.seq)) {
    return broken((prev?.seq ?? 0) + 1, `the log ends at entry ${prev?.seq ?? 0}, but entry ${head.seq} was appended: entries at its end were removed`);
  }
  if (head && prev && (head.seq !== prev.seq || head.hash !== prev.hash)) {
    return broken(prev.seq, `entry ${prev.seq} is not the entry the store last appended (seq ${head.seq})`);
  }
  if (!head && prev && isStore(source)) {
    return broken(prev.seq, 'the log has entries but the store keeps no record of its last one: it was removed');
  }
  return { ok: true, entries: count, last: prev };
}

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who holds a task's lease in the embedded store: the host, the process id and that process's
 * start time. The start time tells a process from a later one that got the same pid (a restarted
 * container's worker is often pid 1 again).
 */
export interface LeaseHolder {
  host: string;
  pid: number;
  /** The kernel's start time of the process (clock ticks since boot, from /proc); '' where unknown. */
  startedAt: string;
}

/** Field 22 of /proc/<pid>/stat; '' when /proc cannot tell (not Linux, or no such process). */
function processStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself hold spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? '';
  } catch {
    return '';
  }
}

let self: LeaseHolder | undefined;

export function thisProcess(): LeaseHolder {
  self ??= { host: hostname(), pid: process.pid, startedAt: processStartTime(process.pid) };
  return self;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, it is only not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * False only when the holder is certainly gone: on this host, and its pid is free or now belongs
 * to a process that started at another time. A holder on another host may be alive: its lease
 * runs out on its own.
 */
export function holderAlive(holder: LeaseHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  if (!pidExists(holder.pid)) return false;
  if (!holder.startedAt) return true;
  const now = processStartTime(holder.pid);
  return now === '' || now === holder.startedAt;
}

export function parseHolder(text: string | null): LeaseHolder | undefined {
  if (!text) return undefined;
  try {
    const h = JSON.parse(text) as Partial<LeaseHolder>;
    if (typeof h.host === 'string' && typeof h.pid === 'number' && typeof h.startedAt === 'string') return h as LeaseHolder;
  } catch {
    /* not a holder record */
  }
  return undefined;
}

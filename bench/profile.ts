/**
 * Where the time goes: CPU seconds of any process by pid (/proc), and a summary of a V8
 * .cpuprofile (from `node --cpu-prof`) by owner — our src/, each npm package, Node internals,
 * GC and idle — so "is it the fake X, Azurite, mapping, or our code?" has a number behind it.
 */
import { readFileSync } from 'node:fs';

/** user + system CPU of a process, ms (Linux /proc; undefined elsewhere or once it exited). */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (USER_HZ, 100 on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Who owns a frame: our compiled src file, an npm package, a Node internal area, or V8 itself. */
export function ownerOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    return `npm ${parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const src = url.indexOf('/dist/src/');
  if (src >= 0) return `ours src/${url.slice(src + '/dist/src/'.length).replace(/\.js$/, '.ts')}`;
  const bench = url.indexOf('/dist/bench/');
  if (bench >= 0) return `bench ${url.slice(bench + '/dist/bench/'.length)}`;
  if (url.startsWith('node:')) {
    // Group Node internals by area: undici is fetch(), streams, http, timers…
    const m = /^node:internal\/(deps\/[^/]+|[^/]+)/.exec(url);
    return `node ${m ? m[1] : url.slice(5)}`;
  }
  return url;
}

export interface ProfileSummary {
  totalMs: number;
  byOwner: { owner: string; ms: number }[];
  /** Time with the owner anywhere on the stack (e.g. all the Azure SDK and what it calls). */
  inclusiveByOwner: { owner: string; ms: number }[];
  topFunctions: { name: string; owner: string; ms: number }[];
  /** Our own functions (src/) with everything they call. */
  inclusiveOurs: { name: string; owner: string; ms: number }[];
}

/** Self time per owner and per function, from the sample timeline (timeDeltas, not hit counts). */
export function summarizeCpuProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    // A sample's time is the delta to the next sample.
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const owners = new Map<string, number>();
  const inclusiveOwners = new Map<string, number>();
  const functions = new Map<string, { name: string; owner: string; ms: number }>();
  const ours = new Map<string, { name: string; owner: string; ms: number }>();
  const frameKey = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url}:${n.callFrame.lineNumber + 1}`;
  const frameName = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} :${n.callFrame.lineNumber + 1}`;
  let total = 0;
  for (const [id, us] of selfUs) {
    const ms = us / 1000;
    const node = byId.get(id)!;
    const owner = ownerOf(node.callFrame.url, node.callFrame.functionName);
    owners.set(owner, (owners.get(owner) ?? 0) + ms);
    const f = functions.get(frameKey(node)) ?? { name: frameName(node), owner, ms: 0 };
    f.ms += ms;
    functions.set(frameKey(node), f);
    total += ms;
    // Walk to the root once per distinct leaf: count each owner and each of our frames once per stack.
    const seenOwners = new Set<string>();
    const seenOurs = new Set<string>();
    for (let n: ProfileNode | undefined = node; n; n = byId.get(parent.get(n.id) ?? -1)) {
      const o = ownerOf(n.callFrame.url, n.callFrame.functionName);
      seenOwners.add(o);
      if (o.startsWith('ours ')) {
        const key = frameKey(n);
        if (!seenOurs.has(key)) {
          seenOurs.add(key);
          const e = ours.get(key) ?? { name: frameName(n), owner: o, ms: 0 };
          e.ms += ms;
          ours.set(key, e);
        }
      }
    }
    for (const o of seenOwners) inclusiveOwners.set(o, (inclusiveOwners.get(o) ?? 0) + ms);
  }
  return {
    totalMs: total,
    byOwner: [...owners].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms),
    inclusiveByOwner: [...inclusiveOwners].map(([owner, ms]) => ({ owner, ms })).sort((a, b) => b.ms - a.ms),
    topFunctions: [...functions.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
    inclusiveOurs: [...ours.values()].sort((a, b) => b.ms - a.ms).slice(0, top),
  };
}

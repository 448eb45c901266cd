/**
 * CPU time per thread of a process tree, from /proc (Linux): who spent the CPU during a run,
 * in figures a loaded machine does not blur. A thread's on-CPU time counts only the time it
 * ran (another process's load does not add to it), and its run-queue delay says how long it
 * was ready but had no core. Take a snapshot before and after; diff them.
 *
 * Sources: /proc/<pid>/task/<tid>/schedstat (ns: on CPU, waiting to run, timeslices) and
 * comm (Chromium names its threads: "DedicatedWorker", "Compositor", "ThreadPoolForeg", …).
 * Which processes: e.g. os-memory.ts's descendants(process.pid), the browsers this process launched.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ThreadTime {
  pid: number;
  tid: number;
  /** The thread's name (15 characters at most, as the kernel keeps it). */
  comm: string;
  /** The process's first command-line word and Chromium's --type=, e.g. "chromium renderer". */
  process: string;
  /** On-CPU time, ms. */
  cpuMs: number;
  /** Time ready to run but waiting for a core, ms. */
  runDelayMs: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the thread or process ended meanwhile
  }
}

function processName(pid: number): string {
  // Chromium rewrites its children's argv into one space-separated string.
  const argv = (read(`/proc/${pid}/cmdline`) ?? '').split(/[\0 ]/);
  const base = (argv[0] ?? '').split('/').pop() ?? '';
  const type = argv.find((a) => a.startsWith('--type='))?.slice('--type='.length);
  return type ? `${base} ${type}` : base;
}

/** Every thread of `pids` now. */
export function threadTimes(pids: number[]): ThreadTime[] {
  const out: ThreadTime[] = [];
  for (const pid of pids) {
    const process = processName(pid);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const name of tids) {
      const tid = Number(name);
      const sched = read(`/proc/${pid}/task/${tid}/schedstat`);
      const comm = read(`/proc/${pid}/task/${tid}/comm`);
      if (sched === null || comm === null) continue;
      const [onCpu, delay] = sched.trim().split(' ').map(Number);
      out.push({ pid, tid, comm: comm.trim(), process, cpuMs: (onCpu ?? 0) / 1e6, runDelayMs: (delay ?? 0) / 1e6 });
    }
  }
  return out;
}

/** What each thread spent between two snapshots (threads born since start from zero; ended ones are gone). */
export function threadDelta(before: ThreadTime[], after: ThreadTime[]): ThreadTime[] {
  const base = new Map(before.map((t) => [t.tid, t]));
  return after.map((t) => {
    const b = base.get(t.tid);
    return { ...t, cpuMs: t.cpuMs - (b?.cpuMs ?? 0), runDelayMs: t.runDelayMs - (b?.runDelayMs ?? 0) };
  });
}

/**
 * The OS's view of a browser: resident memory of every process in its tree.
 * Linux: /proc/<pid>/status VmRSS and /proc/<pid>/smaps_rollup Pss (PSS splits pages shared
 * between processes, so the processes' PSS add up without counting a shared page twice; RSS
 * does count it in each). Other systems: RSS from `ps`, no PSS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  /** Chromium's --type= (renderer, gpu-process, utility, zygote…), 'browser' for the root. */
  type: string;
  rss: number;
  /** Bytes; null where the OS does not give it. */
  pss: number | null;
  /** Has dedicated-worker threads: the renderer of a page with workers (Linux only). */
  workers?: boolean;
}

export interface OsMemory {
  processes: ProcessMemory[];
  rss: number;
  pss: number | null;
}

/** What this system cannot give, in a sentence (empty on Linux). */
export function osMemoryLimits(platform = process.platform): string {
  if (platform === 'linux') return '';
  if (platform === 'win32') return 'Resident memory of the browser processes is read on Linux (/proc) and macOS (ps) only; on Windows the OS series are missing.';
  return 'PSS is Linux-only: here the OS series are RSS from ps, which counts pages shared between processes in each of them.';
}

function readProc(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the process ended between listing and reading
  }
}

function kbField(text: string | null, field: string): number | null {
  if (!text) return null;
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : null;
}

/** pid → parent pid for every process (Linux). */
function linuxParents(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(`/proc/${name}/stat`);
    if (!stat) continue;
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    parents.set(Number(name), Number(rest[1]));
  }
  return parents;
}

/** `root` and all its descendants, given pid → parent. */
export function processTree(root: number, parents: Map<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (!parents.has(pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Whether a process has threads named like Blink's dedicated workers ("DedicatedWorker …"). */
function hasWorkerThreads(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.some((tid) => (readProc(`/proc/${pid}/task/${tid}/comm`) ?? '').startsWith('DedicatedWorker'));
}

function linuxType(pid: number, root: number): string {
  if (pid === root) return 'browser';
  const cmd = readProc(`/proc/${pid}/cmdline`) ?? '';
  return /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'other';
}

/** Reads the OS's figures for `root`'s process tree; the tree is re-listed each call. */
export class OsMemoryReader {
  private readonly types = new Map<number, string>();
  private readonly workerThreads = new Map<number, { has: boolean; at: number }>();

  constructor(readonly root: number, readonly platform = process.platform) {}

  read(): OsMemory | null {
    if (this.platform === 'linux') return this.readLinux();
    if (this.platform === 'win32') return null;
    return this.readPs();
  }

  private readLinux(): OsMemory {
    const processes: ProcessMemory[] = [];
    for (const pid of processTree(this.root, linuxParents())) {
      const rss = kbField(readProc(`/proc/${pid}/status`), 'VmRSS');
      if (rss === null) continue; // gone, or a kernel thread
      const pss = kbField(readProc(`/proc/${pid}/smaps_rollup`), 'Pss');
      let type = this.types.get(pid);
      if (!type) this.types.set(pid, (type = linuxType(pid, this.root)));
      const entry: ProcessMemory = { pid, type, rss, pss };
      if (type === 'renderer' && this.rendererHasWorkers(pid)) entry.workers = true;
      processes.push(entry);
    }
    return summarise(processes);
  }

  /** Re-checked at most once a second per renderer (threads come and go with runs). */
  private rendererHasWorkers(pid: number): boolean {
    const now = Date.now();
    const known = this.workerThreads.get(pid);
    if (known && now - known.at < 1000) return known.has;
    const has = hasWorkerThreads(pid);
    this.workerThreads.set(pid, { has, at: now });
    return has;
  }

  private readPs(): OsMemory | null {
    let text: string;
    try {
      text = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' });
    } catch {
      return null;
    }
    const parents = new Map<number, number>();
    const rss = new Map<number, number>();
    for (const line of text.split('\n')) {
      const [pid, ppid, kb] = line.trim().split(/\s+/).map(Number);
      if (pid === undefined || ppid === undefined || kb === undefined || Number.isNaN(pid)) continue;
      parents.set(pid, ppid);
      rss.set(pid, kb * 1024);
    }
    const processes = processTree(this.root, parents).map((pid) => ({ pid, type: pid === this.root ? 'browser' : 'child', rss: rss.get(pid) ?? 0, pss: null }));
    return summarise(processes);
  }
}

function summarise(processes: ProcessMemory[]): OsMemory {
  const rss = processes.reduce((s, p) => s + p.rss, 0);
  const pss = processes.every((p) => p.pss !== null) ? processes.reduce((s, p) => s + (p.pss ?? 0), 0) : null;
  return { processes, rss, pss };
}

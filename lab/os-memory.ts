/**
 * The OS's view of a browser: resident memory of every process in its tree.
 * Linux: /proc/<pid>/status VmRSS and /proc/<pid>/smaps_rollup Pss (PSS splits pages shared
 * between processes, so the processes' PSS add up without counting a shared page twice; RSS
 * does count it in each). Other systems: RSS from `ps`, no PSS.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { LabOs, LabProcess } from './protocol.ts';

/** The wire types: one process (pid, Chromium's --type, RSS, PSS and its split, CPU), and the tree. */
export type ProcessMemory = LabProcess;
export type OsMemory = LabOs;

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

/** "pid (comm) state ppid …" after the comm (which may hold spaces and parentheses). */
function statFields(stat: string): string[] {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** pid → parent pid for every process (Linux). */
function linuxParents(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProc(`/proc/${name}/stat`);
    if (!stat) continue;
    parents.set(Number(name), Number(statFields(stat)[1]));
  }
  return parents;
}

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux builds). */
const USER_HZ = 100;

/** CPU time of a process from its /proc/<pid>/stat text, ms (Linux). */
function cpuMsOf(stat: string): number {
  const f = statFields(stat);
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 once pid and comm are cut.
  return ((Number(f[11]) + Number(f[12])) * 1000) / USER_HZ;
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

/** Thread ids of a process's threads named like Blink's dedicated workers ("DedicatedWorker …"), ascending (Linux). */
export function workerThreadIds(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.filter((tid) => (readProc(`/proc/${pid}/task/${tid}/comm`) ?? '').startsWith('DedicatedWorker')).map(Number).sort((a, b) => a - b);
}

function hasWorkerThreads(pid: number): boolean {
  return workerThreadIds(pid).length > 0;
}

function linuxType(pid: number, root: number): string {
  if (pid === root) return 'browser';
  const cmd = readProc(`/proc/${pid}/cmdline`) ?? '';
  return /--type=([\w-]+)/.exec(cmd)?.[1] ?? 'other';
}

/** How often the process tree is re-listed (listing reads every process's stat on the machine). */
const TREE_PERIOD_MS = 1000;

/**
 * How often each process's PSS is re-read. smaps_rollup walks the process's page tables under
 * its memory-map lock: measured on a renderer busy allocating, reading it at 10 Hz for ten
 * processes blocked the probe's thread about half the time and held the probe to 4–5 Hz.
 */
export const PSS_PERIOD_MS = 1000;

async function readProcAsync(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // the process ended between listing and reading
  }
}

interface PssRead { pss: number | null; anon: number | null; file: number | null; shmem: number | null; at: number }

/**
 * Reads the OS's figures for `root`'s process tree, off the probe's thread (async reads):
 * RSS and CPU at every call, PSS at most every PSS_PERIOD_MS per process, the tree at most
 * once a second.
 */
export class OsMemoryReader {
  private readonly types = new Map<number, string>();
  private readonly workerThreads = new Map<number, { has: boolean; at: number }>();
  private tree: { pids: number[]; at: number } = { pids: [], at: -Infinity };
  private readonly pss = new Map<number, PssRead>();
  private readonly pssReading = new Set<number>();
  /** The last renderer seen running workers: still the page's renderer between runs. */
  pageRenderer: number | null = null;

  constructor(readonly root: number, readonly platform = process.platform) {}

  async read(): Promise<OsMemory | null> {
    if (this.platform === 'linux') return this.readLinux();
    if (this.platform === 'win32') return null;
    return this.readPs();
  }

  private refreshPss(pid: number): void {
    const known = this.pss.get(pid);
    if (this.pssReading.has(pid) || (known && Date.now() - known.at < PSS_PERIOD_MS)) return;
    this.pssReading.add(pid);
    void readProcAsync(`/proc/${pid}/smaps_rollup`).then((rollup) => {
      this.pss.set(pid, { pss: kbField(rollup, 'Pss'), anon: kbField(rollup, 'Pss_Anon'), file: kbField(rollup, 'Pss_File'), shmem: kbField(rollup, 'Pss_Shmem'), at: Date.now() });
    }).finally(() => this.pssReading.delete(pid));
  }

  private async readLinux(): Promise<OsMemory> {
    const now = performance.now();
    if (now - this.tree.at > TREE_PERIOD_MS) {
      this.tree = { pids: processTree(this.root, linuxParents()), at: now };
      for (const pid of this.pss.keys()) if (!this.tree.pids.includes(pid)) this.pss.delete(pid);
    }
    const read = await Promise.all(this.tree.pids.map(async (pid) => {
      const [status, stat] = await Promise.all([readProcAsync(`/proc/${pid}/status`), readProcAsync(`/proc/${pid}/stat`)]);
      return { pid, status, stat };
    }));
    const processes: ProcessMemory[] = [];
    for (const { pid, status, stat } of read) {
      const rss = kbField(status, 'VmRSS');
      if (rss === null) continue; // gone, or a kernel thread
      this.refreshPss(pid);
      const p = this.pss.get(pid);
      let type = this.types.get(pid);
      if (!type) this.types.set(pid, (type = linuxType(pid, this.root)));
      const entry: ProcessMemory = { pid, type, rss, pss: p?.pss ?? null };
      if (p && p.anon !== null && p.file !== null && p.shmem !== null) Object.assign(entry, { pssAnon: p.anon, pssFile: p.file, pssShmem: p.shmem });
      if (stat) entry.cpuMs = cpuMsOf(stat);
      if (type === 'renderer' && this.rendererHasWorkers(pid)) this.pageRenderer = pid;
      if (pid === this.pageRenderer) entry.workers = true;
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

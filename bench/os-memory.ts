/**
 * Memory of the browser's processes as the OS sees it, from /proc (Linux): the processes
 * under this Node process (the Chromium that playwright-core launched), classified by their
 * `--type=` switch. Dedicated workers run as threads of their page's renderer, so the
 * renderer's resident memory is the page plus its workers.
 *
 * Per process: RSS (VmRSS), its anonymous part (RssAnon), shared-memory part (RssShmem),
 * PSS (Pss from smaps_rollup: shared pages divided among their users) and CPU time.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessMemory {
  pid: number;
  type: string;
  rss: number;
  rssAnon: number;
  rssShmem: number;
  pss: number;
  cpuMs: number;
}

export interface OsSample {
  t: number;
  processes: ProcessMemory[];
}

const CLK_TCK = 100; // USER_HZ on Linux
const readText = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
};

/** Whether /proc has what we need (Linux). */
export function osMemoryAvailable(): boolean {
  return readText(`/proc/${process.pid}/status`) !== null;
}

function children(): Map<number, number[]> {
  const kids = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readText(`/proc/${entry}/stat`);
    if (stat === null) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = kids.get(ppid) ?? [];
    list.push(Number(entry));
    kids.set(ppid, list);
  }
  return kids;
}

/** Every process descended from `root` (not `root` itself). */
export function descendants(root: number): number[] {
  const kids = children();
  const out: number[] = [];
  const queue = [...(kids.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(kids.get(pid) ?? []));
  }
  return out;
}

function processType(pid: number): string | null {
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (cmdline === null || !/chrom/i.test(cmdline)) return null;
  // Chromium rewrites its title: arguments may be NUL- or space-separated.
  const args = cmdline.split(/[\0 ]/);
  const type = args.find((a) => a.startsWith('--type='))?.slice('--type='.length);
  if (!type) return 'browser';
  const sub = args.find((a) => a.startsWith('--utility-sub-type='))?.slice('--utility-sub-type='.length);
  return sub ? `${type}:${sub}` : type;
}

const kb = (text: string, field: string): number => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : NaN;
};

/**
 * How often a renderer's PSS is re-read. smaps_rollup walks the process's page tables under its
 * memory-map lock, and this sampler reads synchronously: at every 100 ms sample it held the
 * bench's thread (and the lab probe sharing it, bench/case-probe.ts) while an unpooled renderer
 * mapped and unmapped buffers (the lab measured the same, lab/os-memory.ts PSS_PERIOD_MS).
 */
const PSS_PERIOD_MS = 1000;

function readProcess(pid: number, type: string, pss: () => number): ProcessMemory | null {
  const status = readText(`/proc/${pid}/status`);
  const stat = readText(`/proc/${pid}/stat`);
  if (status === null || stat === null) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime + stime
  return {
    pid, type,
    rss: kb(status, 'VmRSS'),
    rssAnon: kb(status, 'RssAnon'),
    rssShmem: kb(status, 'RssShmem'),
    pss: pss(),
    cpuMs: (cpuTicks * 1000) / CLK_TCK,
  };
}

/** Samples the Chromium processes under `root` every `everyMs` until stopped. */
export class OsMemorySampler {
  readonly samples: OsSample[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly root: number;
  private readonly types = new Map<number, string | null>();
  private readonly pss = new Map<number, { pss: number; at: number }>();

  constructor(root: number = process.pid) {
    this.root = root;
  }

  sample(): OsSample {
    const processes: ProcessMemory[] = [];
    for (const pid of descendants(this.root)) {
      let type = this.types.get(pid);
      if (type === undefined) {
        type = processType(pid);
        this.types.set(pid, type);
      }
      if (type === null || type === 'zygote') continue; // not Chromium, or an idle zygote
      const p = readProcess(pid, type, () => (type === 'renderer' ? this.pssOf(pid) : NaN));
      if (p) processes.push(p);
    }
    const sample = { t: Date.now(), processes };
    this.samples.push(sample);
    return sample;
  }

  /** A renderer's PSS, re-read at most every PSS_PERIOD_MS (the last figure in between). */
  private pssOf(pid: number): number {
    const known = this.pss.get(pid);
    const now = Date.now();
    if (known && now - known.at < PSS_PERIOD_MS) return known.pss;
    const rollup = readText(`/proc/${pid}/smaps_rollup`);
    const pss = rollup === null ? NaN : kb(rollup, 'Pss');
    this.pss.set(pid, { pss, at: now });
    return pss;
  }

  start(everyMs: number): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.sample();
  }

  /**
   * The renderer hosting the bench page: the renderer that burned the most CPU (the page's
   * workers run the codecs). Other renderers (a spare one, about:blank) stay near idle.
   */
  pageRenderer(): number | null {
    const last = this.samples.at(-1);
    let best: ProcessMemory | null = null;
    for (const p of last?.processes ?? []) {
      if (p.type === 'renderer' && (best === null || p.cpuMs > best.cpuMs)) best = p;
    }
    return best?.pid ?? null;
  }
}
